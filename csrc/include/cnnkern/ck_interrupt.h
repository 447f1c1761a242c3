/*
 * ck_interrupt.h -- Ctrl-C for long C calls: a process-wide "SIGINT arrived" flag that operators poll
 * at block boundaries (csrc/common/ck_interrupt.c).
 *
 * Contract:
 *   - The Cython shim brackets every kernel call: token = ck_interrupt_enter(self) with the GIL held,
 *     the kernel without it, then status = ck_interrupt_leave(token, status) with the GIL held. For a
 *     call from Python's main thread, enter chains a SIGINT handler in front of Python's (sigaction; only
 *     when the current one is a function, i.e. Python's own), leave restores it. SIGINT then sets the
 *     flag and still runs Python's handler, so Python raises KeyboardInterrupt as usual.
 *   - Operators poll ck_interrupt_pending() once per block (a task of ~a row block, a GEMM, a transform
 *     batch) and skip the rest of their work when it is set. They need not return a special status:
 *     leave turns the call's status into CK_ERR_INTERRUPTED whenever the flag was set during the call,
 *     so a partly written output is never returned (the shim raises KeyboardInterrupt).
 *   - Threads: only a call from the main thread arms the handler (Python delivers KeyboardInterrupt to
 *     the main thread only). Calls from other Python threads count themselves in while they run, and
 *     while any does, ck_interrupt_pending() stays 0 for everyone: they can never be cut short, and the
 *     main thread's call then finishes normally before KeyboardInterrupt (the old behaviour).
 *   - A poll is two relaxed atomic loads (the second only once a signal arrived): no measurable cost.
 */
#ifndef CK_INTERRUPT_H
#define CK_INTERRUPT_H

#include "cnnkern/ck_common.h"

#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

extern _Atomic int ck_interrupt_flag_;   /* set by the SIGINT handler while a main-thread call is armed */
extern _Atomic int ck_interrupt_others_; /* calls from non-main Python threads now running */

/* Record Python's main-thread id (threading.main_thread().ident) once, at import. */
void ck_interrupt_set_main_thread(unsigned long ident);
/* Before a kernel (GIL held): `self` is the calling thread's Python ident. Returns the token for leave. */
int ck_interrupt_enter(unsigned long self);
/* After it (GIL held): CK_ERR_INTERRUPTED if SIGINT arrived during the call and it was armed, else status. */
ck_status ck_interrupt_leave(int token, ck_status status);

static inline int ck_interrupt_pending(void)
{
    return atomic_load_explicit(&ck_interrupt_flag_, memory_order_relaxed) &&
           !atomic_load_explicit(&ck_interrupt_others_, memory_order_relaxed);
}

#ifdef __cplusplus
}
#endif
#endif /* CK_INTERRUPT_H */
