#ifndef CSEALBOX_FUZZ_H
#define CSEALBOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that keep their own main (LLVM 13 and later). Linked only in
/// the `-sanitize=fuzzer` build; the ordinary build never calls it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs `body` with LeakSanitizer ignoring what it allocates, in a sanitized build (a plain call
/// elsewhere): for state a library makes once and keeps where LeakSanitizer does not look.
void csealbox_fuzz_ignoring_leaks(void (*body)(void));

#endif
