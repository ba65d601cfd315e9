"""
The C{tisocket} twistd plugin: discovery, C{Options}, C{makeService} and the
service's lifecycle (in-process, with an injected or the real reactor), and
the wheel's contents.

The apps' behaviour is in C{test_apps.py}; real twistd processes are in
C{test_twistd.py}.
"""

from __future__ import annotations

import errno
import os
import pickle
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.application.service import IService, IServiceMaker
from twisted.internet.address import IPv4Address
from twisted.internet.error import CannotListenError, ConnectionDone
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactorClock, RaisingMemoryReactor, StringTransport
from twisted.logger import capturedLogs
from twisted.plugin import IPlugin, getPlugins
from twisted.python import usage
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

from tisocket_twisted import SocketState, TCPServerFactory, TiSocketError, _apps, _tap

REPO = Path(__file__).resolve().parent.parent
PLUGIN_DIR = REPO / "twisted" / "plugins"
WAIT = 20.0


def parse(*argv: str) -> _tap.Options:
    options = _tap.Options()
    options.parseOptions(list(argv))
    return options


def messages(events: list[dict[str, Any]]) -> list[str]:
    from twisted.logger import formatEvent

    return [formatEvent(event) for event in events]


# ----------------------------------------------------------------------
# Discovery.


def maker() -> Any:
    found = [p for p in getPlugins(IServiceMaker) if p.tapname == "tisocket"]
    assert len(found) == 1, found
    return found[0]


def test_pluginIsDiscovered() -> None:
    plugin = maker()
    assert verifyObject(IServiceMaker, plugin)
    assert verifyObject(IPlugin, plugin)
    assert plugin.tapname == "tisocket"
    assert "Titanium" in plugin.description and "echo" in plugin.description
    assert plugin.options is _tap.Options
    assert plugin.makeService.__module__ == "tisocket_twisted._tap"


def test_pluginModuleIsOneServiceMaker() -> None:
    from twisted.plugins import tisocket_plugin

    assert tisocket_plugin.tisocket is maker()
    assert Path(tisocket_plugin.__file__).resolve() == PLUGIN_DIR / "tisocket_plugin.py"
    # Never ship these: they would shadow Twisted's own package.
    assert not (REPO / "twisted" / "__init__.py").exists()
    assert not (PLUGIN_DIR / "__init__.py").exists()


def test_pluginScanDoesNotImportTheServer() -> None:
    """Every twistd run imports every plugin: ours must not import the apps or the reactor."""
    code = (
        "import sys\n"
        "from twisted.plugin import getPlugins\n"
        "from twisted.application.service import IServiceMaker\n"
        "names = [p.tapname for p in getPlugins(IServiceMaker)]\n"
        "assert 'tisocket' in names, names\n"
        "assert 'tisocket_twisted._apps' not in sys.modules\n"
        "assert 'tisocket_twisted._tap' not in sys.modules\n"
        "assert 'twisted.internet.reactor' not in sys.modules\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()


def test_importsAreLazy() -> None:
    """The package does not import the server; the server does not import the reactor."""
    code = (
        "import sys\n"
        "import tisocket_twisted\n"
        "assert 'tisocket_twisted._apps' not in sys.modules\n"
        "assert 'tisocket_twisted._tap' not in sys.modules\n"
        "import tisocket_twisted._tap\n"
        "assert 'twisted.internet.reactor' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()


def test_onlyTheTapImportsTheApps() -> None:
    """Nothing but C{_tap} (and through it the plugin) imports C{_apps}."""
    for path in (REPO / "tisocket_twisted").glob("*.py"):
        if path.name in ("_tap.py", "_apps.py"):
            continue
        text = path.read_text()
        assert "_apps" not in text, path.name


# ----------------------------------------------------------------------
# Options.


def test_optionDefaults() -> None:
    options = parse()
    assert options["host"] == "127.0.0.1"
    assert options["port"] == 40404
    assert options["app"] == "echo"
    assert options["listen-queue-size"] == 511
    assert options["max-chunk-size"] == 65536
    assert options["timeout"] is None
    assert options["shutdown-timeout"] == 10.0
    assert options["appFactory"] is _apps.BUILTIN_APPS["echo"]


def test_everyOption() -> None:
    options = parse(
        "--host",
        "::1",
        "--port",
        "0",
        "--app",
        "daytime",
        "--listen-queue-size",
        "7",
        "--max-chunk-size",
        "1024",
        "--timeout",
        "1500",
        "--shutdown-timeout",
        "0.5",
    )
    assert options["host"] == "::1"
    assert options["port"] == 0
    assert options["app"] == "daytime"
    assert options["listen-queue-size"] == 7
    assert options["max-chunk-size"] == 1024
    assert options["timeout"] == 1500.0
    assert options["shutdown-timeout"] == 0.5
    assert options["appFactory"] is _apps.BUILTIN_APPS["daytime"]


def test_shortOptions() -> None:
    options = parse("-p", "65535", "-a", "discard")
    assert options["port"] == 65535
    assert options["app"] == "discard"


@pytest.mark.parametrize("name", ["echo", "discard", "greeting", "daytime"])
def test_builtinApps(name: str) -> None:
    assert parse("--app", name)["appFactory"] is _apps.BUILTIN_APPS[name]


def test_userApp() -> None:
    import userapp_for_twistd

    options = parse("--app", "userapp_for_twistd:shout")
    assert options["app"] == "userapp_for_twistd:shout"
    handler = options["appFactory"](1024, lambda: 0.0)
    assert handler is userapp_for_twistd.shout


def test_userAppDottedAttribute() -> None:
    options = parse("--app", "tisocket_twisted._apps:EchoApp.__call__")
    assert options["appFactory"](1, lambda: 0.0) is _apps.EchoApp.__call__


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "-1"], "--port must be an integer from 0 to 65535, got '-1'"),
        (["--port", "65536"], "--port must be an integer from 0 to 65535, got '65536'"),
        (["--port", "http"], "--port must be an integer from 0 to 65535, got 'http'"),
        (["--port", "1.5"], "--port must be an integer from 0 to 65535"),
        (["--port", ""], "--port must be an integer"),
        (["--listen-queue-size", "0"], "--listen-queue-size must be an integer of at least 1"),
        (["--listen-queue-size", "-5"], "--listen-queue-size must be an integer of at least 1"),
        (["--listen-queue-size", "many"], "--listen-queue-size must be an integer"),
        (["--max-chunk-size", "0"], "--max-chunk-size must be an integer of at least 1"),
        (["--max-chunk-size", "64k"], "--max-chunk-size must be an integer of at least 1"),
        (["--timeout", "0"], "--timeout must be a positive number of milliseconds"),
        (["--timeout", "-3"], "--timeout must be a positive number of milliseconds"),
        (["--timeout", "nan"], "--timeout must be a positive number of milliseconds"),
        (["--timeout", "soon"], "--timeout must be a positive number of milliseconds"),
        (["--shutdown-timeout", "-1"], "--shutdown-timeout must be a non-negative number"),
        (["--shutdown-timeout", "inf"], "--shutdown-timeout must be a non-negative number"),
        (["--host", ""], "--host must not be empty"),
        (["--host", "  "], "--host must not be empty"),
        (["--app", "chargen"], "--app must be one of echo, discard, greeting, daytime or"),
        (["--app", "userapp_for_twistd"], "MODULE:CALLABLE, got 'userapp_for_twistd'"),
        (["--app", ":shout"], "MODULE:CALLABLE, got ':shout'"),
        (["--app", "userapp_for_twistd:"], "MODULE:CALLABLE, got 'userapp_for_twistd:'"),
        (
            ["--app", "no_such_module_here:onAccepted"],
            "cannot import 'no_such_module_here': No module named 'no_such_module_here' "
            "(is its directory on PYTHONPATH?",
        ),
        (
            ["--app", "userapp_for_twistd:nothing"],
            "'userapp_for_twistd' has no attribute 'nothing'",
        ),
        (["--app", "userapp_for_twistd:notCallable"], "42 is not callable"),
        (["--app", "json.decoder:nothing.deeper"], "has no attribute 'nothing.deeper'"),
        (["--unknown"], "option --unknown not recognized"),
        (["extra"], "Wrong number of arguments."),
    ],
)
def test_badOptions(argv: list[str], message: str) -> None:
    with pytest.raises(usage.UsageError) as info:
        parse(*argv)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_userAppThatFailsToImport(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "crashing_app_module.py").write_text("1 / 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(usage.UsageError) as info:
        parse("--app", "crashing_app_module:onAccepted")
    assert "importing 'crashing_app_module' failed: ZeroDivisionError: division by zero" in str(
        info.value
    )
    sys.modules.pop("crashing_app_module", None)


def test_helpText() -> None:
    text = str(_tap.Options())
    for option in (
        "--host",
        "--port",
        "--app",
        "--listen-queue-size",
        "--max-chunk-size",
        "--timeout",
        "--shutdown-timeout",
    ):
        assert option in text
    assert "40404" in text and "511" in text and "65536" in text
    assert "MODULE:CALLABLE" in text


# ----------------------------------------------------------------------
# makeService with an injected reactor.


def test_makeService() -> None:
    reactor = MemoryReactorClock()
    service = _tap.makeService(parse("--port", "0", "--timeout", "250"), reactor=reactor)
    assert isinstance(service, _tap.TiServerService)
    assert verifyObject(IService, service)
    assert isinstance(service.app, _apps.EchoApp)
    assert service.app.maxChunkSize == 65536
    assert service.appName == "echo"
    assert service.timeout == 250.0
    assert service.listener is None and service.port is None
    assert not service.running


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("echo", _apps.EchoApp),
        ("discard", _apps.DiscardApp),
        ("greeting", _apps.GreetingApp),
        ("daytime", _apps.DaytimeApp),
    ],
)
def test_makeServiceApps(name: str, kind: type) -> None:
    service = _tap.makeService(parse("--app", name, "--max-chunk-size", "99"))
    assert isinstance(service.app, kind)
    if name in ("echo", "discard"):
        assert service.app.maxChunkSize == 99  # type: ignore[attr-defined]


def test_makeServiceFromAPlainDict() -> None:
    """C{makeService} also takes a mapping without the resolved app (embedding)."""
    options = dict(parse("--app", "greeting"))
    del options["appFactory"]
    service = _tap.makeService(options, reactor=MemoryReactorClock())
    assert isinstance(service.app, _apps.GreetingApp)


def test_daytimeUsesTheInjectedClock() -> None:
    reactor = MemoryReactorClock()
    reactor.advance(1_000_000_000)
    service = _tap.makeService(parse("--app", "daytime"), reactor=reactor)
    assert isinstance(service.app, _apps.DaytimeApp)
    import time

    assert service.app.line() == time.ctime(1_000_000_000) + "\r\n"


def test_startListensOnTheInjectedReactor() -> None:
    reactor = MemoryReactorClock()
    service = _tap.makeService(
        parse("--listen-queue-size", "17", "--host", "127.0.0.2"), reactor=reactor
    )
    with capturedLogs() as events:
        service.privilegedStartService()
        assert reactor.tcpServers and len(reactor.tcpServers) == 1
        port, factory, backlog, interface = reactor.tcpServers[0]
        assert (port, backlog, interface) == (40404, 17, "127.0.0.2")
        assert isinstance(factory, TCPServerFactory)
        service.startService()
    assert len(reactor.tcpServers) == 1  # startService did not listen twice
    assert service.running
    assert service.listener is not None and service.listener.state is SocketState.LISTENING
    assert "tisocket echo listening on 127.0.0.2:40404" in messages(events)
    d = service.stopService()
    assert d.called
    assert service.listener is None and not service.running


def test_startWithoutPrivilegedStart() -> None:
    """C{twist} and embedders call only C{startService}: it listens then."""
    reactor = MemoryReactorClock()
    service = _tap.makeService(parse(), reactor=reactor)
    service.startService()
    assert len(reactor.tcpServers) == 1
    assert service.listener is not None
    service.stopService()


def test_greetingOverAMemoryTransport() -> None:
    """The whole path, deterministic: accept queue, accepted, the app, graceful close."""
    reactor = MemoryReactorClock()
    service = _tap.makeService(parse("--app", "greeting"), reactor=reactor)
    service.startService()
    factory = reactor.tcpServers[0][1]
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
    transport = StringTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
    protocol.makeConnection(transport)
    reactor.advance(0)
    assert transport.value() == _apps.GREETING.encode()
    assert transport.disconnecting
    protocol.connectionLost(Failure(ConnectionDone()))
    d = service.stopService()
    reactor.advance(0)
    assert d.called
    assert not reactor.getDelayedCalls()


def test_listenFailureIsOneLineAndExits() -> None:
    reactor = RaisingMemoryReactor(
        listenException=CannotListenError(
            "127.0.0.1", 40404, OSError(errno.EADDRINUSE, "Address already in use")
        )
    )
    service = _tap.makeService(parse(), reactor=reactor)
    with pytest.raises(_tap.ListenFailed) as info:
        service.privilegedStartService()
    failure = info.value
    assert isinstance(failure, SystemExit)
    assert str(failure) == (
        "tisocket echo: cannot listen on 127.0.0.1:40404: "
        f"{os.strerror(errno.EADDRINUSE)} (errno {errno.EADDRINUSE})"
    )
    assert failure.errno == errno.EADDRINUSE
    assert isinstance(failure.__cause__, TiSocketError)
    assert failure.__cause__.errno == errno.EADDRINUSE
    assert service.listener is None and not service.running


# ----------------------------------------------------------------------
# The service with the real reactor (port 0).


@pytest_twisted.ensureDeferred
async def test_startAndStopOnARealPort(reactor: Any) -> None:
    service = _tap.makeService(parse("--port", "0"))
    with capturedLogs() as events:
        service.privilegedStartService()
        service.startService()
    port = service.port
    assert isinstance(port, int) and port > 0
    assert service.listener is not None and service.listener.port == port
    assert f"tisocket echo listening on 127.0.0.1:{port}" in messages(events)
    probe = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    probe.close()
    with capturedLogs() as events:
        await service.stopService().addTimeout(WAIT, reactor)
    assert "tisocket echo stopped" in messages(events)
    assert service.listener is None and service.port is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT)


@pytest_twisted.ensureDeferred
async def test_restart(reactor: Any) -> None:
    service = _tap.makeService(parse("--port", "0"))
    service.startService()
    first = service.listener
    await service.stopService().addTimeout(WAIT, reactor)
    service.startService()
    assert service.listener is not None and service.listener is not first
    assert service.listener.state is SocketState.LISTENING
    await service.stopService().addTimeout(WAIT, reactor)


@pytest_twisted.ensureDeferred
async def test_portTaken(reactor: Any) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        service = _tap.makeService(parse("--port", str(port)))
        with pytest.raises(_tap.ListenFailed) as info:
            service.privilegedStartService()
        assert str(info.value) == (
            f"tisocket echo: cannot listen on 127.0.0.1:{port}: "
            f"{os.strerror(errno.EADDRINUSE)} (errno {errno.EADDRINUSE})"
        )
        assert info.value.errno == errno.EADDRINUSE
        assert isinstance(info.value.__cause__, TiSocketError)
    finally:
        taken.close()


@pytest_twisted.ensureDeferred
async def test_ipv6Loopback(reactor: Any) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    service = _tap.makeService(parse("--port", "0", "--host", "::1"))
    try:
        with capturedLogs() as events:
            service.startService()
    except _tap.ListenFailed:
        pytest.skip("no IPv6 loopback")
    assert f"tisocket echo listening on [::1]:{service.port}" in messages(events)
    await service.stopService().addTimeout(WAIT, reactor)


# ----------------------------------------------------------------------
# Packaging.


def test_wheelContents(tmp_path: Path) -> None:
    """The wheel ships the plugin, never Twisted's package files nor a dropin.cache."""
    cache = PLUGIN_DIR / "dropin.cache"
    created = not cache.exists()
    if created:
        cache.write_bytes(pickle.dumps({}))
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from hatchling.build import build_wheel; build_wheel(sys.argv[1])",
                str(tmp_path),
            ],
            cwd=REPO,
            capture_output=True,
            timeout=120,
        )
    finally:
        if created:
            cache.unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr.decode()
    wheels = list(tmp_path.glob("*.whl"))
    assert len(wheels) == 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    assert "twisted/plugins/tisocket_plugin.py" in names
    assert "tisocket_twisted/_tap.py" in names
    assert "tisocket_twisted/_apps.py" in names
    assert "tisocket_twisted/py.typed" in names
    assert "twisted/__init__.py" not in names
    assert "twisted/plugins/__init__.py" not in names
    assert not [name for name in names if name.endswith("dropin.cache")]
    assert not [name for name in names if name.startswith("tests/")]


def test_protocolIsNotUsedByTheApps() -> None:
    """The apps are written in the Ti API only: no Twisted protocol of their own."""
    text = Path(_apps.__file__).read_text()
    assert "twisted.internet.protocol" not in text
    assert not [
        name
        for name in vars(_apps).values()
        if isinstance(name, type) and issubclass(name, Protocol)
    ]
