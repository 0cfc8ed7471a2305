"""The committed protobuf and gRPC code is what the committed .proto files generate today."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_grpc_code_is_fresh(tmp_path):
    protos = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/transports/grpc/*.proto"))
    assert len(protos) == 5, protos
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I.", f"--python_out={tmp_path}", f"--pyi_out={tmp_path}",
         f"--grpc_python_out={tmp_path}", *protos],
        cwd=ROOT, check=True, capture_output=True, timeout=60,
    )
    generated = sorted(tmp_path.rglob("*.py*"))
    assert len(generated) == 3 * len(protos)
    stale = [str(f.relative_to(tmp_path)) for f in generated
             if f.read_bytes() != (ROOT / f.relative_to(tmp_path)).read_bytes()]
    assert not stale, f"regenerate with scripts/protoc and commit: {stale}"
    grpc_modules = [f for f in generated if f.name.endswith("_pb2_grpc.py")]
    for f in grpc_modules:  # generated from the repo root, so a stub imports its messages absolutely
        package = ".".join(f.relative_to(tmp_path).parent.parts)
        assert f"from {package} import " in f.read_text(), f
