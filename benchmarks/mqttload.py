"""A lean MQTT 5 QoS 1 publisher for load generation: pre-encoded packets over one socket.

paho-mqtt costs tens of microseconds of Python per message, which on a 2-core machine
takes CPU away from the system under test. This publisher builds each PUBLISH packet
before the clock starts and only inserts the packet id while sending; a reader thread
counts PUBACKs to keep at most ``window`` messages in flight, exactly as QoS 1 asks.
"""

from __future__ import annotations

import socket
import struct
import threading
import time


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def encode_publish(topic: str, payload: bytes) -> tuple[bytes, bytes]:
    """A QoS 1 PUBLISH split around its packet id: ``head + pid + tail``."""
    topic_bytes = _string(topic)
    length = len(topic_bytes) + 2 + 1 + len(payload)  # topic, packet id, no properties
    head = bytes([0x32]) + _varint(length) + topic_bytes
    return head, b"\x00" + payload


class LeanPublisher:
    """Connect, publish pre-encoded QoS 1 messages with a bounded window, disconnect."""

    def __init__(self, host: str, port: int, client_id: str, window: int = 1000) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        variable = (_string("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + b"\x00")
        self.sock.sendall(_packet(0x10, variable + _string(client_id)))
        header = self._read_exact(2)
        if header[0] != 0x20:
            raise ConnectionError(f"expected CONNACK, got packet type {header[0] >> 4}")
        body = self._read_exact(header[1])
        if body[1] != 0:
            raise ConnectionError(f"broker refused the connection: reason {body[1]}")
        self.window = threading.Semaphore(window)
        self.acked = 0
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._reader.start()

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read_acks(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            pos = 0
            while True:
                # fixed header: type byte, then a varint remaining length
                if len(buf) - pos < 2:
                    break
                length, shift, i = 0, 0, pos + 1
                while i < len(buf):
                    byte = buf[i]
                    length += (byte & 0x7F) << shift
                    shift += 7
                    i += 1
                    if not byte & 0x80:
                        break
                else:
                    break
                if len(buf) - i < length:
                    break
                if buf[pos] >> 4 == 4:  # PUBACK
                    self.acked += 1
                    self.window.release()
                pos = i + length
            buf = buf[pos:]

    def publish_all(self, packets: list[tuple[bytes, bytes]], rate: float = 0.0,
                    chunk: int = 50) -> None:
        """Send every packet at ``rate`` messages/s (0: as fast as the window allows)."""
        begin = time.perf_counter()
        pid = 0
        for start in range(0, len(packets), chunk):
            if rate:
                ahead = start / rate - (time.perf_counter() - begin)
                if ahead > 0:
                    time.sleep(ahead)
            out = []
            for head, tail in packets[start:start + chunk]:
                self.window.acquire()
                pid = pid % 65535 + 1
                out.append(head + struct.pack("!H", pid) + tail)
            self.sock.sendall(b"".join(out))

    def close(self, total: int, timeout: float = 120.0) -> None:
        """Wait until ``total`` PUBACKs have arrived, then disconnect."""
        deadline = time.monotonic() + timeout
        while self.acked < total and time.monotonic() < deadline:
            time.sleep(0.01)
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()
        if self.acked < total:
            raise TimeoutError(f"only {self.acked} of {total} messages were acknowledged")
