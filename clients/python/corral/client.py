"""Client: start, stop, list, stats and watch on one corral-agent, over its unix socket or its
TLS port with a bearer token (docs/remote.md), chosen by a context of corralctl's contexts file.

    from corral import Client
    with Client.connect("prod") as agent:          # ~/.config/corral/config.yaml
        agent.start("web", protocol="http", model="coroutine", listen="0.0.0.0:8080")
        for server in agent.list():
            print(server.name, server.state, server.pid)

Errors from the agent are raised as AgentError, whose `code` is the gRPC status name
("PERMISSION_DENIED", "UNAUTHENTICATED", "NOT_FOUND", ...) and whose message is the agent's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

import grpc

from corral.v1 import agent_pb2, agent_pb2_grpc, server_pb2, stats_pb2, stats_pb2_grpc

_MAX_ANSWER_BYTES = 64 << 20  # as corralctl: a stats report of a big server is large


class AgentError(Exception):
    """A call the agent refused or could not do."""

    def __init__(self, method: str, error: grpc.RpcError):
        self.code: str = error.code().name
        self.details: str = error.details() or ""
        super().__init__("%s: %s (%s)" % (method, self.details, self.code))


@dataclass(frozen=True)
class Context:
    """How to reach one agent: corralctl's contexts file entry."""

    name: str
    address: str  # "unix:PATH" or "HOST:PORT"
    ca: Optional[str] = None  # PEM CA file: TLS
    token_file: Optional[str] = None  # bearer secret, first non-comment line
    cert: Optional[str] = None  # client certificate (mutual TLS)
    key: Optional[str] = None


@dataclass(frozen=True)
class Server:
    """One server as List and Get report it (the proto's Server, flattened for people)."""

    name: str
    state: str  # "RUNNING", "STOPPED", ... (the enum without its STATE_ prefix)
    pid: int
    address: str  # the bound address, else the spec's listen
    restarts: int
    reason: str
    proto: server_pb2.Server = field(repr=False)


def default_contexts_path() -> str:
    """$CORRAL_CONFIG, else $XDG_CONFIG_HOME/corral/config.yaml, else ~/.config/corral/..."""
    if os.environ.get("CORRAL_CONFIG"):
        return os.environ["CORRAL_CONFIG"]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(base, "corral", "config.yaml")


def load_context(name: Optional[str] = None, path: Optional[str] = None) -> Context:
    """The context `name` (the file's `current` one when None) of the contexts file."""
    import yaml  # python3-yaml; only needed for contexts

    path = path or default_contexts_path()
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    agents = data.get("agents") or {}
    name = name or data.get("current")
    if not name:
        raise ValueError("%s: no context named and no `current`" % path)
    if name not in agents:
        raise KeyError("no context %r in %s (it has %s)" % (name, path, ", ".join(agents) or "none"))
    entry = agents[name]
    base = os.path.dirname(os.path.abspath(path))

    def resolve(value):
        return None if not value else os.path.join(base, value)  # join keeps absolute paths

    address = str(entry["address"])
    if address.startswith(("/", ".")):
        address = "unix:" + address
    return Context(name=name, address=address, ca=resolve(entry.get("ca")),
                   token_file=resolve(entry.get("token_file")), cert=resolve(entry.get("cert")),
                   key=resolve(entry.get("key")))


def _read(path: Optional[str]) -> Optional[bytes]:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def _token(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                return line
    raise ValueError("token file %s: no token in it" % path)


class Client:
    """One channel to one agent. Not thread-safe beyond what grpc's channel is (it is)."""

    def __init__(self, context: Context, timeout: float = 30.0):
        self.context = context
        self.timeout = timeout
        options = [("grpc.max_receive_message_length", _MAX_ANSWER_BYTES)]
        self._metadata = []
        tls = bool(context.ca or context.cert)
        if context.token_file:
            if not tls:
                raise ValueError("a token is never sent without TLS: give the context a `ca`")
            self._metadata.append(("authorization", "Bearer " + _token(context.token_file)))
        if tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(context.ca), private_key=_read(context.key),
                certificate_chain=_read(context.cert))
            self._channel = grpc.secure_channel(context.address, credentials, options)
        else:
            self._channel = grpc.insecure_channel(context.address, options)
        self._agent = agent_pb2_grpc.AgentStub(self._channel)
        self._stats = stats_pb2_grpc.StatsStub(self._channel)

    @classmethod
    def connect(cls, context: Optional[str] = None, path: Optional[str] = None,
                timeout: float = 30.0) -> "Client":
        """A client for the context `context` of the contexts file (its current one if None)."""
        return cls(load_context(context, path), timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method: str, stub_method, request):
        try:
            return stub_method(request, timeout=self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise AgentError(method, error) from None

    def start(self, name: str, protocol: str, model: str, listen: str,
              **fields) -> Server:
        """Adds and starts a server. `protocol` and `model` are the enum names without their
        prefix ("tcp-echo" or "TCP_ECHO", "thread"); other ServerSpec fields by name."""
        spec = server_pb2.ServerSpec(name=name, listen=listen, **fields)
        spec.protocol = server_pb2.Protocol.Value(
            "PROTOCOL_" + protocol.upper().replace("-", "_"))
        spec.model = server_pb2.Model.Value("MODEL_" + model.upper().replace("-", "_"))
        response = self._call("Start", self._agent.Start, agent_pb2.StartRequest(spec=spec))
        return _server(response.server)

    def stop(self, name: str, timeout_ms: int = 0) -> Server:
        response = self._call("Stop", self._agent.Stop,
                              agent_pb2.StopRequest(name=name, timeout_ms=timeout_ms))
        return _server(response.server)

    def remove(self, name: str, keep_logs: bool = False) -> None:
        self._call("Remove", self._agent.Remove,
                   agent_pb2.RemoveRequest(name=name, keep_logs=keep_logs))

    def list(self) -> List[Server]:
        return [_server(s) for s in self._call("List", self._agent.List,
                                               agent_pb2.ListRequest()).servers]

    def get(self, name: str) -> Server:
        return _server(self._call("Get", self._agent.Get, agent_pb2.GetRequest(name=name)).server)

    def stats(self, name: str = "") -> Dict[str, stats_pb2.ServerStats]:
        """One sample: each server's stats by name (every server when `name` is empty)."""
        report = self._call("GetStats", self._stats.GetStats,
                            stats_pb2.GetStatsRequest(name=name))
        return {s.name: s for s in report.servers}

    def watch(self, name: str = "", interval_ms: int = 1000,
              count: int = 0) -> Iterator[stats_pb2.StatsReport]:
        """A StatsReport per interval until `count` (0: until the caller stops iterating)."""
        request = stats_pb2.WatchStatsRequest(name=name, interval_ms=interval_ms)
        stream = self._stats.WatchStats(request, metadata=self._metadata)
        seen = 0
        try:
            for report in stream:
                yield report
                seen += 1
                if count and seen >= count:
                    return
        except grpc.RpcError as error:
            raise AgentError("WatchStats", error) from None
        finally:
            stream.cancel()


def _server(s: server_pb2.Server) -> Server:
    return Server(name=s.spec.name, state=server_pb2.State.Name(s.state).replace("STATE_", "", 1),
                  pid=s.pid, address=s.bound_address or s.spec.listen, restarts=s.restarts,
                  reason=s.reason, proto=s)
