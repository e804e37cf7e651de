// Digest uses OpenSSL's low-level SHA-256 (SHA256_Init...), deprecated since 3.0 in favour of EVP.
// EVP's first use initialises the provider machinery, 2 MB of RSS the daemon's memory target has no
// room for, and the low-level calls keep the digest state in memory the caller zeroes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/err.h>
