"""The gated delta rule of Gated DeltaNet, in a sequential and a chunked form.

Per value head, with state S in R^{dk x dv} (zero at the start of each sequence):

    S_t = alpha_t (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,    o_t = S_t^T q_t,

where alpha_t = exp(g_t). All inputs are laid out [B, T, H, d] (g and beta: [B, T, H]) and
the output is [B, T, H, dv]. The state stays in the dtype of the inputs.
"""

import torch


def recurrent_gated_delta_rule(q, k, v, g, beta):
    """Compute the recurrence token by token (the reference for the chunked form)."""
    batch, length, heads, dk = k.shape
    dv = v.shape[-1]
    state = q.new_zeros(batch, heads, dk, dv)
    alpha = g.exp()
    out = q.new_empty(batch, length, heads, dv)
    for t in range(length):
        k_t = k[:, t]  # [B, H, dk]
        state = state * alpha[:, t, :, None, None]
        memory = torch.einsum("bhkv,bhk->bhv", state, k_t)
        delta = beta[:, t, :, None] * (v[:, t] - memory)
        state = state + k_t[..., :, None] * delta[..., None, :]
        out[:, t] = torch.einsum("bhkv,bhk->bhv", state, q[:, t])
    return out


def chunked_gated_delta_rule(q, k, v, g, beta, chunk_size=64):
    """Compute the same recurrence chunk by chunk, with matrix products inside each chunk.

    Inside a chunk with entry state S_0 and cumulative log-decay G_t = g_1 + ... + g_t, the
    state is S_t = e^{G_t} S_0 + sum_{s<=t} e^{G_t - G_s} k_s u_s^T. Substituting this into
    the recurrence gives the pseudo-values u_t = beta_t (v_t - e^{G_t} S_0^T k_t)
    - beta_t sum_{s<t} e^{G_t - G_s} (k_t . k_s) u_s, that is (I + A) U = diag(beta) V
    - diag(beta e^G) K S_0 with A strictly lower triangular. One triangular solve per chunk
    (shared by all chunks, done batched) yields U = U_v - W S_0 with
    W = (I + A)^{-1} diag(beta e^G) K and U_v = (I + A)^{-1} diag(beta) V. Then
    O = diag(e^G) Q S_0 + (Q K^T masked by e^{G_t - G_s}, s <= t) U and the exit state is
    S_C = e^{G_C} S_0 + (diag(e^{G_C - G}) K)^T U. Only the state hand-off runs as a Python
    loop, once per chunk.
    """
    batch, length, heads, dk = k.shape
    dv = v.shape[-1]
    pad = -length % chunk_size
    # Padded steps have k = v = q = 0, beta = 0 and g = 0, so they leave the state unchanged.
    q, k, v = (_to_chunks(x, pad, chunk_size) for x in (q, k, v))  # [B, H, N, C, d]
    g, beta = (_to_chunks(x[..., None], pad, chunk_size)[..., 0] for x in (g, beta))  # [B,H,N,C]

    decay_log = g.cumsum(-1)  # G_t inside each chunk
    lower = torch.ones(chunk_size, chunk_size, dtype=torch.bool, device=q.device).tril()
    # e^{G_t - G_s} for s <= t and 0 above the diagonal (masked before exp to avoid overflow).
    decay = (decay_log[..., :, None] - decay_log[..., None, :]).masked_fill(~lower, float("-inf"))
    decay = decay.exp()

    interaction = (beta[..., None] * (k @ k.transpose(-1, -2)) * decay).tril(-1)
    right_side = torch.cat(
        (k * (beta * decay_log.exp())[..., None], v * beta[..., None]), dim=-1
    )
    # unitriangular=True treats the diagonal as ones, so the solve uses I + A.
    solved = torch.linalg.solve_triangular(
        interaction, right_side, upper=False, unitriangular=True
    )
    w, u_values = solved.split((dk, dv), dim=-1)

    attention = (q @ k.transpose(-1, -2)) * decay
    q_decayed = q * decay_log.exp()[..., None]
    k_to_end = k * (decay_log[..., -1:] - decay_log).exp()[..., None]
    chunk_decay = decay_log[..., -1].exp()[..., None, None]  # e^{G_C}: [B, H, N, 1, 1]

    chunks = q.shape[2]
    state = q.new_zeros(batch, heads, dk, dv)
    out = q.new_empty(batch, heads, chunks, chunk_size, dv)
    for n in range(chunks):
        u = u_values[:, :, n] - w[:, :, n] @ state
        out[:, :, n] = q_decayed[:, :, n] @ state + attention[:, :, n] @ u
        state = state * chunk_decay[:, :, n] + k_to_end[:, :, n].transpose(-1, -2) @ u
    out = out.reshape(batch, heads, chunks * chunk_size, dv)[:, :, :length]
    return out.transpose(1, 2)


def _to_chunks(x, pad, chunk_size):
    """Turn [B, T, H, d] into [B, H, N, C, d], zero-padding T at the end to a multiple of C."""
    x = x.transpose(1, 2)
    if pad:
        x = torch.nn.functional.pad(x, (0, 0, 0, pad))
    batch, heads, length, dim = x.shape
    return x.reshape(batch, heads, length // chunk_size, chunk_size, dim)
