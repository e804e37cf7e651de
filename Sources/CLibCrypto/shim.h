// Digest uses OpenSSL's low-level SHA-256 (SHA256_Init...), deprecated since 3.0 in favour of EVP.
// EVP's first use initialises the provider machinery, 2 MB of RSS the daemon's memory target has no
// room for, and the low-level calls keep the digest state in memory the caller zeroes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/err.h>
// Asymmetric KMS keys (RSA, ECC) go through EVP: their first use pays the provider setup above.
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
