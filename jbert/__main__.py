"""``python -m jbert`` (what ``accelerate launch -m jbert finetune ...`` runs)."""

from jbert.cli import main

if __name__ == "__main__":
    main()
