"""Development profile: DEBUG on, console email, SQLite and the filesystem broker by default."""
from .base import *  # noqa: F401,F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405  (the Django test client's host)
