"""manage.py communication_map: print the shop's communication map as Mermaid or dot, or refresh the README's copy."""
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from observability.communication_map import as_dot, as_mermaid, communication_map

START, END = "<!-- communication-map:start -->", "<!-- communication-map:end -->"


def readme_block(text: str) -> str:
    """The README's block between the markers, as Markdown with a mermaid fence."""
    return f"{START}\n```mermaid\n{text}```\n{END}"


def embedded_map() -> str:
    """The map as `./scripts/run` serves it (every boundary in-process): what the README shows."""
    return as_mermaid(communication_map(boundaries={}))  # no entry: the boundary is in-process


class Command(BaseCommand):
    help = "Print the communication map (contexts, calls with their transport, events and commands with subscribers)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
        parser.add_argument("--update-readme", action="store_true",
                            help="rewrite the map between the README's communication-map markers (embedded profile)")

    def handle(self, *args, format, update_readme, **options):
        if update_readme:
            readme = Path(settings.BASE_DIR) / "README.md"
            text = readme.read_text()
            if START not in text or END not in text:
                raise CommandError(f"README.md has no {START} ... {END} block")
            pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
            readme.write_text(pattern.sub(lambda _: readme_block(embedded_map()), text))
            self.stdout.write("README.md: communication map updated")
            return
        interactions = communication_map()
        self.stdout.write(as_dot(interactions) if format == "dot" else as_mermaid(interactions), ending="")
