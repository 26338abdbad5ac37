"""``jbert export``: fine-tuned directories as ONNX (fp32 / int8) or torch int8 exports that
``jbert predict`` and ``jbert eval`` run like the original, with their agreement measured.

May import: ``jbert.inference`` (the runtimes that load an export, the predictor that measures
agreement) and everything below it; never ``evaluation``, ``report``, ``jbert.api`` or the CLI.
"""

from jbert.export.formats import EXPORT_FILE, FORMATS, load_exported, read_record
from jbert.export.run import ExportConfig, ExportResult, run_export

__all__ = ["EXPORT_FILE", "FORMATS", "ExportConfig", "ExportResult", "load_exported", "read_record", "run_export"]
