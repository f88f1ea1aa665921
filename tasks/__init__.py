"""The Luigi module: ``luigi --module tasks BuildDataset --dataset mnist``."""

from tasks.logs import route_to_luigi
from tasks.graph import (
    BuildDataset,
    ConvertShard,
    FetchArtifact,
    PlanExamples,
    WriteMetadata,
)

__all__ = [
    "BuildDataset", "ConvertShard", "FetchArtifact", "PlanExamples", "WriteMetadata",
]

route_to_luigi()
