#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace berth {

absl::Status ErrnoStatus(int err, std::string_view op, std::string_view object) {
  std::string msg = fmt::format("{} {}: {}", op, object, std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
    case ENOTEMPTY:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EINVAL:
    case ENAMETOOLONG:
    case ELOOP:
    case EXDEV:
      return absl::InvalidArgumentError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case EAGAIN:
    case EBUSY:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace berth
