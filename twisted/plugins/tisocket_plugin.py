"""
The C{tisocket} twistd plugin: C{twistd -n tisocket [options]}.

Only a L{ServiceMaker}: every twistd run imports every plugin module, so the
real code (L{tisocket_twisted._tap}) is imported only when C{tisocket} is used.
"""

from twisted.application.service import ServiceMaker

tisocket = ServiceMaker(
    "tisocket",
    "tisocket_twisted._tap",
    "A Titanium-style TCP server (echo, discard, greeting, daytime or your own "
    "Ti.Network.Socket.TCP app) written with tisocket-twisted's Ti API",
    "tisocket",
)
