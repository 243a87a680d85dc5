/* SPDX-License-Identifier: ISC */
#ifndef ODIN_PRIVS_H
#define ODIN_PRIVS_H
#endif
