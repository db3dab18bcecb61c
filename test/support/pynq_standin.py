"""A stand-in for the pynq package (tests of generated driver.py files; no board). Copy it as pynq.py onto sys.path
(test/support/pynq.ts standInPynq).

Registers read from REGS. Every DMA send is recorded twice: SENT[dma] (all bytes sent on it, concatenated) and
SENDS[dma] (one bytes object per transfer). ORDER lists the events in order: 'send dmaK' (transfer started),
'sent dmaK' (its wait() returned), 'recv dmaK' (receive started), 'out dmaK' (its wait() returned). A receive is
filled either from CALLBACK(n) (n = the receives so far, when CALLBACK is set; filled at wait()) or from
RESPONSE[dma] (at once); a receive with neither, or on a DMA named in STUCK, never goes idle (a stalled core), and
wait() on a busy channel raises instead of hanging as the real one would, so a driver that waits without a deadline
is caught. A second transfer on a channel before wait() returned for the first is an error (the real DMA would
refuse it). LAST[dma] is the length of the last receive (the S2MM_LENGTH register)."""
import numpy as np

__version__ = "3.0.1"
REGS = {}
RESPONSE = {}
CALLBACK = None
SENT = {}
SENDS = {}
ORDER = []
BUSY = set()
LAST = {}
STUCK = set()
STARTS = []
SLCR_WRITES = []
FREED = 0
RECEIVED = 0


class Clocks:
    fclk0_mhz = 100.0


class _Buf(np.ndarray):
    def freebuffer(self):
        global FREED
        FREED += 1


def allocate(shape, dtype):
    return np.zeros(shape, dtype=dtype).view(_Buf)


class MMIO:
    def __init__(self, base, length):
        self.base = base
        self.regs = {}

    def read(self, off):
        return self.regs.get(off, 0)

    def write(self, off, value):
        SLCR_WRITES.append((self.base + off, value))
        self.regs[off] = value


class _DmaMmio:
    def __init__(self, dma):
        self.dma = dma

    def read(self, off):
        assert off == 0x58, off
        return LAST.get(self.dma.name, 0)

    def write(self, off, value):
        pass


def _fill(dma, buf, data):
    assert len(data) <= len(buf), "response longer than the receive buffer"
    buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    LAST[dma.name] = len(data)


class _Channel:
    def __init__(self, dma, send):
        self.dma = dma
        self.send = send
        self.key = ("send " if send else "recv ") + dma.name
        self.buf = None
        self.idle = True
        self.error = False

    def transfer(self, buf):
        assert self.idle and self.key not in BUSY, "%s: transfer on a channel that is not idle" % self.key
        self.buf = buf
        BUSY.add(self.key)
        ORDER.append(self.key)
        stuck = self.dma.name in STUCK
        if self.send:
            assert len(buf) > 0, "zero-length DMA transfer"
            data = bytes(np.asarray(buf))
            SENT[self.dma.name] = SENT.get(self.dma.name, b"") + data
            SENDS.setdefault(self.dma.name, []).append(data)
            self.idle = not stuck
        elif CALLBACK is not None and not stuck:
            self.idle = True  # filled when the driver waits
        elif self.dma.name in RESPONSE and not stuck:
            _fill(self.dma, buf, RESPONSE[self.dma.name])
            self.idle = True
        else:
            self.idle = False

    def wait(self):
        global RECEIVED
        if not self.idle:
            raise AssertionError("pynq wait() on a busy channel: the real one would poll forever")
        if self.key not in BUSY:
            return
        if not self.send and CALLBACK is not None:
            _fill(self.dma, self.buf, CALLBACK(RECEIVED))
            RECEIVED += 1
        BUSY.discard(self.key)
        ORDER.append(("sent " if self.send else "out ") + self.dma.name)

    def start(self):
        STARTS.append((self.dma.name, "send" if self.send else "recv"))
        BUSY.discard(self.key)
        self.idle = True


class _Dma:
    def __init__(self, name):
        self.name = name
        self.sendchannel = _Channel(self, True)
        self.recvchannel = _Channel(self, False)
        self.mmio = _DmaMmio(self)


class _Ctrl:
    def read(self, off):
        return REGS.get(off, 0)

    def write(self, off, value):
        REGS[off] = value


class Overlay:
    def __init__(self, bitfile, download=True):
        self.acc = _Ctrl()
        for i in range(8):
            setattr(self, "dma%d" % i, _Dma("dma%d" % i))
