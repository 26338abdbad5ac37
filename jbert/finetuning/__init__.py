"""Fine-tuning runs on the training core: one run (``run``), a grid of runs and its selection
(``sweep``), and which task and files a run reads (``datafiles``).

May import: ``jbert.training``, ``jbert.inference``, ``jbert.heads``, ``jbert.models``, ``jbert.metrics``,
``jbert.readers``, ``jbert.tokenization``, ``jbert.config`` and the shared leaves; never ``jbert.api``,
the CLI or a later stage (``evaluation``, ``report``).
"""
