"""Stability, micromotion, subsidence and implant-strength metrics on plain arrays.

Entry point for the case pipeline: `case_metrics(summary, interfaces, vm_qp_by_region,
thresholds)`; thresholds with their sources: `Thresholds`.
"""

from .case import case_metrics
from .columns import flat_row
from .thresholds import Thresholds

__all__ = ["Thresholds", "case_metrics", "flat_row"]
