"""driftcheck: does the live EC2 Image Builder pipeline still match the code that declares it?"""

# The package's version, written here once (pyproject.toml reads it): every report carries it, and reading it from
# the installed metadata would cost every run, ``--help`` included, the import of importlib.metadata.
__version__ = "0.1.0"
