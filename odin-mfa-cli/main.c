/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"
int main(void) { return 1; }
