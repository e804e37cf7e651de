#ifndef CSEALBOX_FUZZ_H
#define CSEALBOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that keep their own main (LLVM 13 and later). Linked only in
/// the `-sanitize=fuzzer` build; the ordinary build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
