"""The API layer must stay free of the UI: nothing under lucy_tui/api may import Textual."""

import ast
import subprocess
import sys
from pathlib import Path

API_DIR = Path(__file__).resolve().parents[1] / "lucy_tui" / "api"


def test_api_sources_do_not_import_textual() -> None:
    offenders = []
    for path in sorted(API_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def test_importing_the_api_loads_no_textual_module() -> None:
    code = (
        "import sys, lucy_tui.api.client, lucy_tui.api.models, lucy_tui.api.errors;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_import_graph_has_no_circle() -> None:
    """No module reaches itself through its imports (there was a circle of 19 through the
    App): a screen is followed to the API without passing through the App."""
    import grimp

    graph = grimp.build_graph("lucy_tui", "lucy_server")
    circles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=other, imported=module)
    ]
    assert circles == []
