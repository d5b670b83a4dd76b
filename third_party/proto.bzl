"""Protobuf C++ code from Debian's protoc, through a genrule.

proto_library/cc_proto_library would need @com_google_protobuf (a download), so the system
protoc generates `<name>.pb.h/.pb.cc` and a cc_library wraps them. Include the generated header
by its path from the repository root, e.g. "proto/statement.pb.h".
"""

def hallmark_cc_proto(name, srcs, proto_deps = [], deps = [], visibility = None):
    """Generates a cc_library `name` from `srcs` (.proto files in this package).

    Args:
      name: the cc_library.
      srcs: .proto files compiled into this library.
      proto_deps: other .proto files (e.g. from the same package) that `srcs` import.
      deps: cc_library targets of those imports.
      visibility: of the cc_library.
    """
    hdrs = [s[:-len(".proto")] + ".pb.h" for s in srcs]
    ccs = [s[:-len(".proto")] + ".pb.cc" for s in srcs]
    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = hdrs + ccs,
        cmd = "/usr/bin/protoc --proto_path=. --cpp_out=$(GENDIR) " +
              " ".join(["$(location %s)" % s for s in srcs]),
    )
    native.cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        # Generated code is not ours to keep warning-free.
        copts = ["-Wno-unused-parameter", "-Wno-error"],
        deps = deps + ["//third_party:protobuf"],
        visibility = visibility,
    )
