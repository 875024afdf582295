# A stand-in for systemd's notification socket: binds a unix datagram socket at argv[1], prints
# each message received as one line, and closes the file descriptors that come with one (what
# systemd does with BARRIER=1's, which systemd-notify waits on). Ends on stdin's end.
import array, os, select, socket, sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
print("listening", flush=True)
while True:
    ready, _, _ = select.select([sock, sys.stdin], [], [])
    if sys.stdin in ready and not sys.stdin.buffer.read1(1):
        break
    if sock in ready:
        msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
                for fd in fds:
                    os.close(fd)
        print(msg.decode(), flush=True)
