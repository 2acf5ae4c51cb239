import sys

from newswire.signals import catch_early_signals

catch_early_signals()  # before the heavier imports below

from newswire.cli import main  # noqa: E402

sys.exit(main())
