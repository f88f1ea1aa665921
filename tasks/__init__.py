"""The Luigi module: ``luigi --module tasks BuildDataset --dataset mnist``."""

# The first import pauses the garbage collector while the rest imports (tasks/startup.py).
from tasks import startup  # noqa: I001

import warnings

from tasks import central_scheduler
from tasks.graph import (
    BuildDataset,
    ConvertShard,
    FetchArtifact,
    PlanExamples,
    WriteMetadata,
)
from tasks.logs import quiet_known_failures, route_to_luigi
from tasks.progress import start_for_this_run

__all__ = [
    "BuildDataset", "ConvertShard", "FetchArtifact", "PlanExamples", "WriteMetadata",
]

# Luigi's RPC client reads these [core] keys, its `core` config class does not know them.
warnings.filterwarnings("ignore", message=r".*parameter 'rpc_\w+' .* consumed by the task 'core'")
route_to_luigi()
quiet_known_failures()
central_scheduler.install()
start_for_this_run()
startup.imports_done()
