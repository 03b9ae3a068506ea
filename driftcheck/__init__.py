"""driftcheck: does the live EC2 Image Builder pipeline still match the code that declares it?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("driftcheck")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
