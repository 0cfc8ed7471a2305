"""The import-linter contracts hold, and they really catch a context reaching into another's internals."""
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CONFIG = configparser.ConfigParser()
_CONFIG.read(ROOT / ".importlinter")
PACKAGES = _CONFIG["importlinter"]["root_packages"].split()


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_the_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


@pytest.mark.parametrize(
    "module,line,contract",
    [
        ("orders/reach_in.py", "from inventory.models import StockItem\n", "From outside inventory"),
        ("shop/reach_in.py", "from orders import saga\n", "From outside orders"),
        ("shop/reach_in.py", "import orders.tasks\n", "From outside orders"),
        ("orders/reach_in.py", "from payments.handlers import *\n", "From outside payments"),
        ("orders/reach_in.py", "from outbox.delivery import *\n", "From outside outbox"),
        ("inventory/reach_up.py", "from orders.api import OrderPlaced\n", "Contexts depend one way only"),
    ],
    ids=["private-models", "saga", "tasks", "handlers", "outbox-delivery", "cycle"],
)
def test_a_violation_breaks_the_build(tree_copy, module, line, contract):
    (tree_copy / module).write_text(f'"""A deliberate violation."""\n{line}')
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert contract in result.stdout.replace("\n", " ")
    assert "BROKEN" in result.stdout


def test_a_new_private_module_is_protected_without_editing_the_contracts(tree_copy):
    """The contracts are an allow-list: only api.py is public, so a module added tomorrow is private."""
    (tree_copy / "shipping" / "brand_new.py").write_text('"""A module no contract names."""\n')
    (tree_copy / "orders" / "reach_in.py").write_text('"""A deliberate violation."""\nfrom shipping import brand_new\n')
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "From outside shipping" in result.stdout.replace("\n", " ")
    assert "BROKEN" in result.stdout


def test_an_api_module_importing_its_models_breaks_the_layers(tree_copy):
    api = tree_copy / "shipping" / "api.py"
    api.write_text(api.read_text() + "\nfrom shipping.models import Shipment  # noqa\n")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert "Inside each context" in result.stdout.replace("\n", " ")
