#!/usr/bin/python3
"""Test RTSP server: serves an H.264 .mp4 at rtsp://127.0.0.1:PORT/lane, looping forever.

Usage: /usr/bin/python3 rtsp-server.py CLIP.mp4 PORT
The clip's access units are read into memory once, then each client's media pushes them through
an appsrc with timestamps that keep growing across loops, so the stream never hits EOS and the
RTP timestamps never jump back (a seek on EOS would reset them).
"""
import sys
import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib  # noqa: E402

Gst.init(None)
clip, port = sys.argv[1], sys.argv[2]

reader = Gst.parse_launch(f'filesrc location="{clip}" ! qtdemux ! h264parse ! '
                          'video/x-h264,stream-format=avc,alignment=au ! appsink name=sink sync=false')
sink = reader.get_by_name('sink')
reader.set_state(Gst.State.PLAYING)
# (bytes, pts, dts, duration) per access unit; fresh buffers are built from these on every push
# because the pipeline may still hold (and must not see changes to) the ones it was given.
units = []
while (sample := sink.emit('pull-sample')) is not None:
    b = sample.get_buffer()
    units.append((b.extract_dup(0, b.get_size()), b.pts, b.dts, b.duration))
    caps = sample.get_caps()
reader.set_state(Gst.State.NULL)
if not units:
    sys.exit(f'no H.264 frames in {clip}')
frame_ns = units[0][3] if units[0][3] != Gst.CLOCK_TIME_NONE else Gst.SECOND // 10
loop_ns = max(u[1] for u in units) + frame_ns


def on_configure(_factory, media):
    src = media.get_element().get_by_name('src')
    src.set_property('caps', caps)
    state = {'i': 0}

    def on_need_data(appsrc, _length):
        i = state['i']
        state['i'] += 1
        loop, index = divmod(i, len(units))
        data, pts, dts, duration = units[index]
        buf = Gst.Buffer.new_wrapped(data)
        buf.pts = pts + loop * loop_ns
        buf.dts = dts + loop * loop_ns if dts != Gst.CLOCK_TIME_NONE else dts
        buf.duration = duration
        appsrc.emit('push-buffer', buf)

    src.connect('need-data', on_need_data)


factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch('( appsrc name=src format=time ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
factory.set_shared(False)
factory.connect('media-configure', on_configure)
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(port)
server.get_mount_points().add_factory('/lane', factory)
if server.attach(None) == 0:
    sys.exit(f'cannot listen on 127.0.0.1:{port}')
print(f'rtsp://127.0.0.1:{port}/lane', flush=True)
GLib.MainLoop().run()
