"""Models as objects and as directories: random initialisation (``initialise``), what an architecture
takes (``inputs``: token types, positions, the length limit) and the fine-tuned model directory
(``directory``: what is written next to the weights and read back by ``eval`` and ``predict``).

May import: ``jbert.tokenization``, ``jbert.config`` and the shared leaves; never a head, the trainer
or a stage.
"""
