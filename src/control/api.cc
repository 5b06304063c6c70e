// The REST API's libmicrohttpd side: binding, one epoll polling thread, body collection with
// the size cap, Basic credentials and the counters. What a request means is api_handler.cc's.
#include "sipfront/control/api.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_handler.h"

namespace sipfront::control {

namespace {

using api_internal::ApiHandler;
using api_internal::ErrorResponse;
using api_internal::HttpRequest;
using api_internal::HttpResponse;

// What one request collects between libmicrohttpd's calls (freed in OnCompleted).
struct RequestState {
  std::string body;
  bool too_large = false;
  bool responded = false;
};

// "A.B.C.D:PORT" or "[v6]:PORT" (numeric hosts only: the API binds before any resolver runs).
bool ParseListen(std::string_view listen, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof(ss));
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= listen.size()) {
    return false;
  }
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  uint32_t port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      return false;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return false;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    const std::string h(host.substr(1, host.size() - 2));
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) != 1) {
      return false;
    }
    len = sizeof(sockaddr_in6);
    return true;
  }
  const std::string h(host);
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, h.c_str(), &a4->sin_addr) != 1) {
    return false;
  }
  len = sizeof(sockaddr_in);
  return true;
}

class ApiServerImpl final : public ApiServer {
 public:
  ApiServerImpl(const ApiOptions& options, std::unique_ptr<Store> store,
                std::function<void()> on_change, RegistrationSource* registrations)
      : max_body_(options.max_body_bytes),
        handler_(std::move(store), std::move(on_change), registrations) {}

  ~ApiServerImpl() override {
    if (daemon_ != nullptr) {
      MHD_stop_daemon(daemon_);  // joins the polling thread and closes the listening socket
    }
  }

  absl::Status Listen(const ApiOptions& options) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!ParseListen(options.listen, ss, len)) {
      return absl::InvalidArgumentError("api.listen: expected IPv4:PORT or [IPv6]:PORT, got \"" +
                                        options.listen + "\"");
    }
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return absl::InternalError(std::string("api: socket: ") + std::strerror(errno));
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, SOMAXCONN) != 0) {
      const int err = errno;
      close(fd);
      return absl::UnavailableError("api: cannot listen on " + options.listen + ": " +
                                    std::strerror(err));
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (ss.ss_family == AF_INET6) {
      flags |= MHD_USE_IPv6;
    }
    daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &ApiServerImpl::OnRequest, this, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned int>(options.max_connections),
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned int>(options.connection_timeout_s),
        MHD_OPTION_NOTIFY_COMPLETED, &ApiServerImpl::OnCompleted, this, MHD_OPTION_END);
    if (daemon_ == nullptr) {
      close(fd);
      return absl::InternalError("api: libmicrohttpd failed to start on " + options.listen);
    }
    return absl::OkStatus();
  }

  [[nodiscard]] uint16_t port() const override { return port_; }

  [[nodiscard]] Counters counters() const override {
    Counters c;
    c.requests = requests_.load(std::memory_order_relaxed);
    c.unauthorized = unauthorized_.load(std::memory_order_relaxed);
    c.client_errors = client_errors_.load(std::memory_order_relaxed);
    c.server_errors = server_errors_.load(std::memory_order_relaxed);
    return c;
  }

 private:
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* /*version*/, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<ApiServerImpl*>(cls);
    auto* state = static_cast<RequestState*>(*con_cls);
    if (state == nullptr) {
      // First call: headers only. A declared body over the cap is refused before it is read.
      state = new RequestState;
      *con_cls = state;
      const char* length =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length != nullptr && std::strtoull(length, nullptr, 10) > self->max_body_) {
        state->responded = true;
        return self->Send(connection, TooLarge());
      }
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      // Chunked bodies have no declared length: keep reading but drop what is over the cap.
      if (!state->too_large && !state->responded) {
        if (state->body.size() + *upload_data_size > self->max_body_) {
          state->too_large = true;
          std::string().swap(state->body);
        } else {
          state->body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (state->responded) {
      return MHD_YES;
    }
    state->responded = true;
    if (state->too_large) {
      return self->Send(connection, TooLarge());
    }

    HttpRequest req;
    req.method = method;
    req.path = url;
    const char* ct =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.content_type = ct != nullptr ? std::string_view(ct) : std::string_view();
    req.body = state->body;
    req.query = [connection](const char* name) {
      return MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
    };
    char* password = nullptr;
    char* user = MHD_basic_auth_get_username_password(connection, &password);
    if (user != nullptr) {
      req.has_basic_auth = true;
      req.auth_user = user;
      req.auth_password = password != nullptr ? std::string_view(password) : std::string_view();
    }
    HttpResponse resp = self->handler_.Handle(req);
    if (user != nullptr) {
      MHD_free(user);
    }
    if (password != nullptr) {
      MHD_free(password);
    }
    return self->Send(connection, resp);
  }

  static void OnCompleted(void* /*cls*/, MHD_Connection* /*connection*/, void** con_cls,
                          MHD_RequestTerminationCode /*toe*/) {
    delete static_cast<RequestState*>(*con_cls);
    *con_cls = nullptr;
  }

  static HttpResponse TooLarge() {
    return ErrorResponse(413, api_internal::kCodeBodyTooLarge, "The request body is too large");
  }

  MHD_Result Send(MHD_Connection* connection, const HttpResponse& r) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (r.status == 401) {
      unauthorized_.fetch_add(1, std::memory_order_relaxed);
    } else if (r.status >= 500) {
      server_errors_.fetch_add(1, std::memory_order_relaxed);
    } else if (r.status >= 400) {
      client_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    MHD_Response* response = MHD_create_response_from_buffer(
        r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) {
      return MHD_NO;
    }
    if (!r.body.empty()) {
      MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                              "application/json; charset=utf-8");
    }
    for (const auto& [name, value] : r.headers) {
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    const MHD_Result ret = MHD_queue_response(connection, r.status, response);
    MHD_destroy_response(response);
    return ret;
  }

  std::size_t max_body_;
  ApiHandler handler_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> unauthorized_{0};
  std::atomic<uint64_t> client_errors_{0};
  std::atomic<uint64_t> server_errors_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiOptions& options,
                                                            std::unique_ptr<Store> store,
                                                            std::function<void()> on_change,
                                                            RegistrationSource* registrations) {
  if (store == nullptr) {
    return absl::InvalidArgumentError("api: no store");
  }
  auto server = std::make_unique<ApiServerImpl>(options, std::move(store), std::move(on_change),
                                                registrations);
  SIPFRONT_RETURN_IF_ERROR(server->Listen(options));
  return std::unique_ptr<ApiServer>(std::move(server));
}

}  // namespace sipfront::control
