/* SPDX-License-Identifier: MIT */
/*
 * A statically linked program for exec_refusal_test.sh: no library can be
 * preloaded into it, so `softsgx exec` must refuse it and say why. Run
 * alone it prints one line and exits 0 (it is a working program).
 */
#include <stdio.h>

int main(void)
{
	puts("static program ran");
	return 0;
}
