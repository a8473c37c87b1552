#!/usr/bin/env python3
"""Wide-area delay for one network namespace of the Anode network lab (docs/LAB.md).

The lab's kernel has no netem qdisc, so a fixed one-way delay comes from user space: the
namespace's outbound IPv4 traffic is routed into the TUN device this program creates, and the
program sends every packet on, unchanged, DELAY_MS after it arrived, through a raw socket whose
packets carry firewall mark MARK (a policy rule routes marked packets the normal way, so they do
not come back). Inbound traffic is not touched: a path between two delayed namespaces gets the
sender's delay each way.

Usage: wandelay.py DEVICE DELAY_MS MARK [LOG]
With LOG, every packet is also written there as it arrives (CLOCK_MONOTONIC seconds, which all
namespaces share, source, destination, length and the first 24 bytes after the IP and UDP headers
in hex): a timestamped capture of what the namespace sent, for finding where time goes.
Prints "ready" once the device exists (the caller then routes into it). Ends when its standard
input closes, so it never outlives the test that started it; the device goes with it, and traffic
falls back to the normal route.
"""

import fcntl
import heapq
import os
import select
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
SO_MARK = 36
# Packets waiting beyond this many are dropped, as a full router queue would (the lab's tests send
# far less; the bound keeps a runaway sender from growing this process without limit).
MAX_QUEUED = 20000


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: wandelay.py DEVICE DELAY_MS MARK [LOG]")
    device = sys.argv[1]
    delay = float(sys.argv[2]) / 1000.0
    mark = int(sys.argv[3])
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", device.encode(), IFF_TUN | IFF_NO_PI))
    out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    out.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    log = open(sys.argv[4], "w", buffering=1) if len(sys.argv) == 5 else None
    stdin = sys.stdin.fileno()
    print("ready", flush=True)

    queue = []  # (departure, sequence, packet): the sequence keeps arrival order among equal times
    sequence = 0
    sent = dropped = failed = 0
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, packet = heapq.heappop(queue)
            try:
                out.sendto(packet, (socket.inet_ntoa(packet[16:20]), 0))
                sent += 1
            except OSError:
                failed += 1  # no route beyond the delay: the packet is lost, as on a real link
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable, _, _ = select.select([tun, stdin], [], [], timeout)
        if stdin in readable and not os.read(stdin, 4096):
            break
        if tun in readable:
            packet = os.read(tun, 65535)
            # Only IPv4 is delayed (the lab's WAN is IPv4); anything else is not routed here.
            if len(packet) >= 20 and packet[0] >> 4 == 4:
                if log:
                    ihl = (packet[0] & 15) * 4
                    log.write("%.6f %s %s %d %s\n" % (
                        time.monotonic(), socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20]),
                        len(packet), packet[ihl + 8:ihl + 32].hex()))
                if len(queue) < MAX_QUEUED:
                    heapq.heappush(queue, (time.monotonic() + delay, sequence, packet))
                    sequence += 1
                else:
                    dropped += 1
    print("sent=%d dropped=%d failed=%d" % (sent, dropped, failed), flush=True)


if __name__ == "__main__":
    main()
