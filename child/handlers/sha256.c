/* sha256: the file's digest, the simplest real handler and the benchmark's
 * floor. Result: "sha256" (lowercase hex) and "bytes" (as read). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "child/handler.h"

static int
sha256_process(const struct task_in *t, struct corral_result *out)
{
	static unsigned char buf[64 * 1024];
	unsigned char dig[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *md;
	unsigned dlen = 0, i;
	uint64_t total = 0;
	ssize_t n;

	if ((md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		corral_result_set_error(out, "unable to start SHA-256");
		return 1;
	}
	for (;;) {
		n = read(t->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (n < 0) {
		corral_result_set_error(out, "read: %s", strerror(errno));
		EVP_MD_CTX_free(md);
		return 1;
	}
	EVP_DigestFinal_ex(md, dig, &dlen);
	EVP_MD_CTX_free(md);
	for (i = 0; i < dlen; i++) {
		hex[2 * i] = "0123456789abcdef"[dig[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[dig[i] & 15];
	}
	hex[2 * dlen] = '\0';
	corral_result_set_str(out, "sha256", hex);
	corral_result_set_uint(out, "bytes", total);
	return 0;
}

const struct handler handler_sha256 = { "sha256", NULL, sha256_process };
