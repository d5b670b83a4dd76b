// File: base/server_sockets.h
//
// Helpers for stopping in-process TCP servers promptly.
//
// Why: cpp-httplib 0.11 (Debian 12) stops a server by closing its listening socket and then
// joining its worker threads, and a worker holding an idle keep-alive connection only notices
// after the keep-alive timeout (seconds, up to 30 in our servers). A client that keeps an idle
// connection open (libcurl's pool, kubectl, a watch that just ended) therefore delays every
// shutdown by that long. Shutting down the server's accepted connections for reading wakes those
// workers at once.
#ifndef HALLMARK_BASE_SERVER_SOCKETS_H_
#define HALLMARK_BASE_SERVER_SOCKETS_H_

namespace hallmark {

// ShutdownServerConnections calls shutdown(fd, SHUT_RD) on every connected TCP socket (IPv4 or
// IPv6) of this process whose LOCAL port is `local_port`, i.e. the connections a server listening
// on that port accepted, and returns how many it shut down. Listening sockets (no peer) and
// outgoing connections (their local port is an ephemeral one) are left alone; no descriptor is
// closed, so nothing can be reused under a thread that still owns it.
//
// After it, a worker waiting for the next request on such a connection reads end-of-file and
// closes it. WARNING: httplib also drops a response still being prepared on such a connection (it
// checks that the peer is alive before writing), so a server that wants requests in flight to
// finish stops accepting (httplib::Server::stop()), waits a short grace period for its threads,
// and only then calls this before joining them. Returns 0 if /proc/self/fd cannot be read.
// Linux only.
int ShutdownServerConnections(int local_port);

}  // namespace hallmark

#endif  // HALLMARK_BASE_SERVER_SOCKETS_H_
