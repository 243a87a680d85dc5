/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"
