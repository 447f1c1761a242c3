/*
 * ck_interrupt.c -- the SIGINT flag of ck_interrupt.h (contract there).
 *
 * IN: the caller's thread ident; OUT: a token / the call's status. State: the flag, the count of
 * non-main calls, and the saved SIGINT action, all process-wide (one copy per extension module while
 * each links its own runtime; each copy only sees its own module's calls, which is all it needs).
 * Only the main thread installs and restores the handler, so there is never more than one armed call.
 * The handler is async-signal-safe: one atomic store and a call of the saved handler (Python's, which
 * may run on any thread: it only trips a flag and writes the wakeup fd).
 */
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 */
#define _DEFAULT_SOURCE         /* SA_ONSTACK */
#include "cnnkern/ck_interrupt.h"

#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <string.h>
#define CK_HAVE_SIGACTION 1
#else
#define CK_HAVE_SIGACTION 0
#endif

_Atomic int ck_interrupt_flag_ = 0;
_Atomic int ck_interrupt_others_ = 0;

static unsigned long main_ident = 0;
static int have_main = 0;

enum { TOKEN_NONE = 0, TOKEN_OTHER = 1, TOKEN_ARMED = 2 };

void ck_interrupt_set_main_thread(unsigned long ident)
{
    main_ident = ident;
    have_main = 1;
}

#if CK_HAVE_SIGACTION
static struct sigaction saved; /* Python's action, chained to and restored */

static void on_sigint(int sig, siginfo_t *info, void *ctx)
{
    atomic_store_explicit(&ck_interrupt_flag_, 1, memory_order_relaxed);
    if (saved.sa_flags & SA_SIGINFO) {
        if (saved.sa_sigaction)
            saved.sa_sigaction(sig, info, ctx);
    } else if (saved.sa_handler != SIG_DFL && saved.sa_handler != SIG_IGN && saved.sa_handler) {
        saved.sa_handler(sig);
    }
}

static int arm(void)
{
    struct sigaction old, ours;
    if (sigaction(SIGINT, NULL, &old) != 0)
        return 0;
    if (old.sa_flags & SA_SIGINFO) {
        if (old.sa_sigaction == on_sigint || !old.sa_sigaction)
            return 0;
    } else if (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN || !old.sa_handler) {
        return 0; /* nothing to chain to: Ctrl-C kills or is ignored, as without cnnkern */
    }
    saved = old;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_sigint;
    ours.sa_flags = SA_SIGINFO | (old.sa_flags & SA_ONSTACK);
    sigemptyset(&ours.sa_mask);
    atomic_store(&ck_interrupt_flag_, 0);
    return sigaction(SIGINT, &ours, NULL) == 0;
}

static void disarm(void) { sigaction(SIGINT, &saved, NULL); }
#else
static int arm(void) { return 0; }
static void disarm(void) {}
#endif

int ck_interrupt_enter(unsigned long self)
{
    if (!have_main || self != main_ident) {
        atomic_fetch_add(&ck_interrupt_others_, 1);
        return TOKEN_OTHER;
    }
    return arm() ? TOKEN_ARMED : TOKEN_NONE;
}

ck_status ck_interrupt_leave(int token, ck_status status)
{
    if (token == TOKEN_OTHER) {
        atomic_fetch_sub(&ck_interrupt_others_, 1);
        return status;
    }
    if (token != TOKEN_ARMED)
        return status;
    disarm();
    /* read after restoring: a SIGINT in between still reached Python's handler through ours */
    const int hit = atomic_exchange(&ck_interrupt_flag_, 0);
    return hit && (status == CK_OK || status == CK_ERR_INTERRUPTED) ? CK_ERR_INTERRUPTED : status;
}
