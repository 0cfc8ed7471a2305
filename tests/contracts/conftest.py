"""Every contract test runs once per transport: in-process, REST and gRPC to real serve_context processes."""
import pytest

from tests.servers import remote_boundaries


@pytest.fixture(params=["local", "rest", "grpc"])
def transport(request, settings):
    """Sends every boundary over the parametrised transport for the test."""
    if request.param != "local":
        servers = request.getfixturevalue("context_servers")
        settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(servers, request.param)}
    return request.param
