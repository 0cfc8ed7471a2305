"""manage.py settings_table: print every declared setting and environment variable, or refresh a doc's copy."""
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.conf import TABLE_END, TABLE_START, settings_table, table_block


class Command(BaseCommand):
    help = "Print the table of every setting (per app, from its conf.py) and environment variable, as Markdown."

    def add_arguments(self, parser):
        parser.add_argument("--update", metavar="FILE",
                            help="rewrite the table between FILE's settings-table markers (docs/settings.md)")

    def handle(self, *args, update, **options):
        if not update:
            self.stdout.write(settings_table(), ending="")
            return
        path = Path(update)
        text = path.read_text()
        if TABLE_START not in text or TABLE_END not in text:
            raise CommandError(f"{path} has no {TABLE_START} ... {TABLE_END} block")
        pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
        path.write_text(pattern.sub(lambda _: table_block(), text))
        self.stdout.write(f"{path}: settings table updated")
