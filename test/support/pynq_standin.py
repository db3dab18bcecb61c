"""A stand-in for the pynq package (tests of generated driver.py files; no board). Copy it as pynq.py onto sys.path.
Registers read from REGS; DMA sends are recorded in SENT; a receive is filled from RESPONSE[dma] and goes idle at
once — a DMA named in STUCK never goes idle (a stalled core), and wait() on a busy channel raises instead of
hanging as the real one would, so a driver that waits without a deadline is caught."""
import numpy as np

__version__ = "3.0.1"
REGS = {}
RESPONSE = {}
SENT = {}
STUCK = set()
STARTS = []
SLCR_WRITES = []
FREED = 0


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
        return len(RESPONSE.get(self.dma.name, b""))

    def write(self, off, value):
        pass


class _Channel:
    def __init__(self, dma, send):
        self.dma = dma
        self.send = send
        self.buf = None
        self.idle = True
        self.error = False

    def transfer(self, buf):
        assert self.idle, "transfer on a busy channel"
        self.buf = buf
        if self.send:
            SENT[self.dma.name] = SENT.get(self.dma.name, b"") + bytes(np.asarray(buf))
            self.idle = self.dma.name not in STUCK
        elif self.dma.name in RESPONSE and self.dma.name not in STUCK:
            data = RESPONSE[self.dma.name]
            assert len(data) <= len(buf), "response longer than the receive buffer"
            buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
            self.idle = True
        else:
            self.idle = False

    def wait(self):
        if not self.idle:
            raise AssertionError("pynq wait() on a busy channel: the real one would poll forever")

    def start(self):
        STARTS.append((self.dma.name, "send" if self.send else "recv"))
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
