#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "failure_regime.settings")
    if "SECRET_KEY" not in os.environ and "DEBUG" not in os.environ:
        # Nothing configured: a developer's machine, so use the embedded development defaults. Servers set
        # DEBUG and SECRET_KEY (docker-compose refuses to start without them), and gunicorn never comes here.
        os.environ["DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
