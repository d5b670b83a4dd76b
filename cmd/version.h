#ifndef HALLMARK_CMD_VERSION_H_
#define HALLMARK_CMD_VERSION_H_

namespace hallmark::cmd {

// Semantic version of this build of hallmark.
inline constexpr char kVersion[] = "0.1.0";

}  // namespace hallmark::cmd

#endif  // HALLMARK_CMD_VERSION_H_
