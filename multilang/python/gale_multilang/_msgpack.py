"""A small MessagePack encoder/decoder in pure Python (nil, bool, int, float,
str, bin, array, map). Used when the `msgpack` package is not installed."""

import struct

_pack_d = struct.Struct(">Bd").pack


def packb(obj):
    out = bytearray()
    _pack(obj, out)
    return bytes(out)


def _pack(o, out):
    t = type(o)
    if t is str:
        b = o.encode("utf-8")
        n = len(b)
        if n < 32:
            out.append(0xA0 | n)
        elif n < 256:
            out += b"\xd9" + bytes((n,))
        elif n < 65536:
            out += b"\xda" + n.to_bytes(2, "big")
        else:
            out += b"\xdb" + n.to_bytes(4, "big")
        out += b
    elif t is int:
        if 0 <= o < 128:
            out.append(o)
        elif -32 <= o < 0:
            out.append(o & 0xFF)
        elif -(2**31) <= o < 2**31:
            out += b"\xd2" + o.to_bytes(4, "big", signed=True)
        elif -(2**63) <= o < 2**63:
            out += b"\xd3" + o.to_bytes(8, "big", signed=True)
        else:
            out += b"\xcf" + o.to_bytes(8, "big")
    elif o is None:
        out.append(0xC0)
    elif t is bool:
        out.append(0xC3 if o else 0xC2)
    elif t is float:
        out += _pack_d(0xCB, o)
    elif t in (list, tuple):
        n = len(o)
        if n < 16:
            out.append(0x90 | n)
        elif n < 65536:
            out += b"\xdc" + n.to_bytes(2, "big")
        else:
            out += b"\xdd" + n.to_bytes(4, "big")
        for x in o:
            _pack(x, out)
    elif t is dict:
        n = len(o)
        if n < 16:
            out.append(0x80 | n)
        elif n < 65536:
            out += b"\xde" + n.to_bytes(2, "big")
        else:
            out += b"\xdf" + n.to_bytes(4, "big")
        for k, v in o.items():
            _pack(k, out)
            _pack(v, out)
    elif t in (bytes, bytearray):
        n = len(o)
        if n < 256:
            out += b"\xc4" + bytes((n,))
        elif n < 65536:
            out += b"\xc5" + n.to_bytes(2, "big")
        else:
            out += b"\xc6" + n.to_bytes(4, "big")
        out += o
    elif isinstance(o, bool):
        out.append(0xC3 if o else 0xC2)
    elif isinstance(o, int):
        _pack(int(o), out)
    elif isinstance(o, float):
        _pack(float(o), out)
    elif isinstance(o, str):
        _pack(str(o), out)
    else:
        raise TypeError("cannot msgpack %r" % (o,))


def unpackb(data):
    obj, pos = _unpack(data, 0)
    if pos != len(data):
        raise ValueError("msgpack: %d bytes left after the value" % (len(data) - pos))
    return obj


def _unpack(d, p):
    t = d[p]
    p += 1
    if t < 0x80:
        return t, p
    if t >= 0xE0:
        return t - 256, p
    if 0xA0 <= t < 0xC0:
        n = t & 0x1F
        return d[p:p + n].decode("utf-8"), p + n
    if 0x90 <= t < 0xA0:
        return _list(d, p, t & 0x0F)
    if 0x80 <= t < 0x90:
        return _map(d, p, t & 0x0F)
    if t == 0xC0:
        return None, p
    if t == 0xC2:
        return False, p
    if t == 0xC3:
        return True, p
    if t in (0xC4, 0xC5, 0xC6):
        w = (1, 2, 4)[t - 0xC4]
        n = int.from_bytes(d[p:p + w], "big")
        p += w
        return bytes(d[p:p + n]), p + n
    if t == 0xCA:
        return struct.unpack_from(">f", d, p)[0], p + 4
    if t == 0xCB:
        return struct.unpack_from(">d", d, p)[0], p + 8
    if 0xCC <= t <= 0xCF:
        w = 1 << (t - 0xCC)
        return int.from_bytes(d[p:p + w], "big"), p + w
    if 0xD0 <= t <= 0xD3:
        w = 1 << (t - 0xD0)
        return int.from_bytes(d[p:p + w], "big", signed=True), p + w
    if t in (0xD9, 0xDA, 0xDB):
        w = (1, 2, 4)[t - 0xD9]
        n = int.from_bytes(d[p:p + w], "big")
        p += w
        return d[p:p + n].decode("utf-8"), p + n
    if t in (0xDC, 0xDD):
        w = 2 if t == 0xDC else 4
        return _list(d, p + w, int.from_bytes(d[p:p + w], "big"))
    if t in (0xDE, 0xDF):
        w = 2 if t == 0xDE else 4
        return _map(d, p + w, int.from_bytes(d[p:p + w], "big"))
    raise ValueError("msgpack: unsupported type byte 0x%02x" % t)


def _list(d, p, n):
    out = []
    for _ in range(n):
        v, p = _unpack(d, p)
        out.append(v)
    return out, p


def _map(d, p, n):
    out = {}
    for _ in range(n):
        k, p = _unpack(d, p)
        v, p = _unpack(d, p)
        out[k] = v
    return out, p
