/* render: what the fuzz targets of the wires check a decoded message's
 * bytes with: rendered the way the supervisor and the clients show them, as
 * JSON and on a terminal, the output must be safe to show. */
#include <stdio.h>
#include <stdlib.h>

#include "common/utf8.h"
#include "fuzz/fuzz.h"
#include "supervisor/json.h"

/* Output meant for a terminal or a JSON reader: valid UTF-8 with no C0 or
 * C1 control character and no DEL left raw. */
static void
check_shown(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	CHECK(utf8_valid(s, len));
	for (i = 0; i < len; i++) {
		CHECK(u[i] >= 0x20 && u[i] != 0x7f);
		CHECK(!(u[i] == 0xc2 && i + 1 < len && u[i + 1] < 0xa0));
	}
}

int
fuzz_render_json(const uint8_t *mp, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m;
	int r;

	CHECK((m = open_memstream(&text, &tlen)) != NULL);
	r = json_msgpack(m, mp, len);
	CHECK(fclose(m) == 0);
	/* Linear in the input: no byte is written out more than a few
	 * dozen times over, however keys nest. */
	CHECK(tlen <= 32 * len + 64);
	if (r == 0)
		check_shown(text, tlen);
	free(text);
	return r;
}

void
fuzz_render_str(const char *s, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m;

	CHECK((m = open_memstream(&text, &tlen)) != NULL);
	json_str(m, s, len);
	text_escaped(m, s, len);
	CHECK(fclose(m) == 0);
	check_shown(text, tlen);
	free(text);
}

int
fuzz_inside(const uint8_t *body, size_t len, const void *p, size_t n)
{
	const uint8_t *q = p;

	return n == 0 || (q >= body && q <= body + len && n <= (size_t)(body + len - q));
}
