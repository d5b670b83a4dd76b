#include "tests/e2e/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hallmark::tests::e2e {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> p(new TcpProxy());
  p->target_port_ = target_port;
  absl::Status listening = p->Listen();
  if (!listening.ok()) return listening;
  return p;
}

absl::Status TcpProxy::Listen() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port_);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot listen on 127.0.0.1:", port_));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  absl::MutexLock lock(&mu_);
  listen_fd_ = fd;
  threads_.emplace_back([this, fd] { AcceptLoop(fd); });
  return absl::OkStatus();
}

void TcpProxy::AcceptLoop(int listen_fd) {
  for (;;) {
    int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;  // the listening socket was shut down
    }
    int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = Loopback(target_port_);
    if (upstream < 0 ||
        ::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      if (upstream >= 0) ::close(upstream);
      ::close(client);
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu_);
    connections_.push_back(client);
    connections_.push_back(upstream);
    threads_.emplace_back([this, client, upstream] { Pump(client, upstream); });
    threads_.emplace_back([this, client, upstream] { Pump(upstream, client); });
  }
}

void TcpProxy::Pump(int from, int to) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(from, buffer, sizeof(buffer));
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::write(to, buffer + off, n - off);
      if (w <= 0) {
        off = -1;
        break;
      }
      off += w;
    }
    if (off < 0) break;
  }
  // Both directions end: the peer sees the close.
  ::shutdown(from, SHUT_RDWR);
  ::shutdown(to, SHUT_RDWR);
}

void TcpProxy::Down() {
  absl::MutexLock lock(&mu_);
  if (listen_fd_ >= 0) {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
}

absl::Status TcpProxy::Up() {
  {
    absl::MutexLock lock(&mu_);
    if (listen_fd_ >= 0) return absl::OkStatus();
  }
  return Listen();
}

TcpProxy::~TcpProxy() {
  Down();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  absl::MutexLock lock(&mu_);
  for (int fd : connections_) ::close(fd);
}

}  // namespace hallmark::tests::e2e
