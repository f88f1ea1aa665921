"""The Luigi module: ``luigi --module tasks BuildDataset --dataset mnist``."""

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
