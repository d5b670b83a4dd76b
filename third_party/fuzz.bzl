"""Fuzz targets.

A fuzz target is a `<name>_fuzzer.cc` defining `LLVMFuzzerTestOneInput`. `hallmark_fuzz_test`
makes it a cc_test that replays the seed corpus with the normal toolchain: `corpus` are labels of
files in this repository, `shared_corpus` paths under ../shared (e.g. "fixtures/cosign/keys"), so every target is a regression test in `bazel test`;
scripts/fuzz builds the same targets with `--config=libfuzzer` (clang, ASan, UBSan): there
//third_party:libfuzzer drops the replay main, and libFuzzer's main takes its place.
"""

def hallmark_fuzz_test(name, srcs, deps = [], corpus = [], shared_corpus = [], size = "small", **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//third_party:libfuzzer": [],
            "//conditions:default": ["//base/testing:fuzz_replay_main"],
        }),
        data = corpus,
        args = ["$(locations %s)" % c for c in corpus] + ["shared:" + p for p in shared_corpus],
        size = size,
        tags = ["fuzz"],
        **kwargs
    )
