# Brute-force Kenward-Roger (Kenward & Roger 1997, in pbkrtest's notation)
# for a fit_lmm() / fit_joint() fit with a residual structure, written out on
# full n x n matrices with NUMERICAL derivatives of V(psi) in R. psi = (the
# lower-triangle elements of each G block, original scale; the residual
# structure's own parameters theta_R). Returns Phi, Phi_A and a function
# giving the df and F scaling of L beta = 0.
lmm_kr_brute <- function(f) {
  d <- f$design
  ptr <- glycotrial:::lmm_ptr(f)
  kg <- f$n_theta_g
  th_r <- f$theta_absolute[-seq_len(kg)]
  th_g_fixed <- f$theta_absolute[seq_len(kg)]
  blocks <- d$blocks
  G0 <- f$G
  idx <- list()
  off <- 0
  for (b in blocks) {
    for (c in seq_len(b)) for (r in c:b) idx[[length(idx) + 1]] <- c(off + r, off + c)
    off <- off + b
  }
  psi0 <- c(vapply(idx, function(e) G0[e[1], e[2]], numeric(1)), th_r)
  KG <- length(idx)
  n <- length(d$y)
  sw <- if (is.null(d$weights)) rep(1, n) else 1 / sqrt(d$weights)
  Vfun <- function(psi) {
    G <- matrix(0, ncol(d$Z), ncol(d$Z))
    for (k in seq_len(KG)) {
      e <- idx[[k]]
      G[e[1], e[2]] <- G[e[2], e[1]] <- psi[k]
    }
    V <- matrix(0, n, n)
    for (s in seq_len(f$n_subjects)) {
      rows <- seq.int(d$subject_start[s] + 1L, d$subject_start[s + 1L])
      Z <- d$Z[rows, , drop = FALSE]
      R <- glycotrial:::cpp_lmm_residual_cov(ptr, c(th_g_fixed, psi[-seq_len(KG)]),
                                             d$coords[rows], as.integer(d$groups[rows]))
      V[rows, rows] <- Z %*% G %*% t(Z) + R * outer(sw[rows], sw[rows])
    }
    V
  }
  K <- length(psi0)
  h <- 1e-5 * pmax(1, abs(psi0))
  dV <- lapply(seq_len(K), function(j) {
    e <- replace(numeric(K), j, h[j])
    (Vfun(psi0 + e) - Vfun(psi0 - e)) / (2 * h[j])
  })
  h2 <- 1e-4 * pmax(1, abs(psi0))
  d2V <- function(j, k) {
    ej <- replace(numeric(K), j, h2[j])
    ek <- replace(numeric(K), k, h2[k])
    (Vfun(psi0 + ej + ek) - Vfun(psi0 + ej - ek) - Vfun(psi0 - ej + ek) +
       Vfun(psi0 - ej - ek)) / (4 * h2[j] * h2[k])
  }
  X <- d$X
  V <- Vfun(psi0)
  Vi <- solve(V)
  Phi <- solve(t(X) %*% Vi %*% X)
  PV <- Vi - Vi %*% X %*% Phi %*% t(X) %*% Vi
  P <- lapply(dV, function(Vj) -t(X) %*% Vi %*% Vj %*% Vi %*% X)
  IE <- matrix(0, K, K)
  U <- matrix(0, ncol(X), ncol(X))
  Q <- list()
  for (j in seq_len(K)) for (k in seq_len(K)) {
    IE[j, k] <- 0.5 * sum(diag(PV %*% dV[[j]] %*% PV %*% dV[[k]]))
  }
  W <- solve(IE)
  for (j in seq_len(K)) for (k in seq_len(K)) {
    Qjk <- t(X) %*% Vi %*% dV[[j]] %*% Vi %*% dV[[k]] %*% Vi %*% X
    Rjk <- if (j > KG && k > KG) t(X) %*% Vi %*% d2V(j, k) %*% Vi %*% X else 0
    U <- U + W[j, k] * (Qjk - P[[j]] %*% Phi %*% P[[k]] - Rjk / 4)
  }
  PhiA <- Phi + 2 * Phi %*% U %*% Phi
  test <- function(L) {
    L <- rbind(L)
    q <- nrow(L)
    Theta <- t(L) %*% solve(L %*% Phi %*% t(L)) %*% L
    u <- lapply(P, function(Pj) Theta %*% Phi %*% Pj %*% Phi)
    A1 <- A2 <- 0
    for (i in seq_len(K)) for (j in seq_len(K)) {
      A1 <- A1 + W[i, j] * sum(diag(u[[i]])) * sum(diag(u[[j]]))
      A2 <- A2 + W[i, j] * sum(diag(u[[i]] %*% u[[j]]))
    }
    B <- (A1 + 6 * A2) / (2 * q)
    g <- ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    den <- 3 * q + 2 * (1 - g)
    c1 <- g / den; c2 <- (q - g) / den; c3 <- (q + 2 - g) / den
    Estar <- 1 / (1 - A2 / q)
    Vstar <- 2 / q * (1 + c1 * B) / ((1 - c2 * B)^2 * (1 - c3 * B))
    rho <- Vstar / (2 * Estar^2)
    m <- 4 + (q + 2) / (q * rho - 1)
    list(df = m, lambda = m / (Estar * (m - 2)))
  }
  list(phi = Phi, phi_adj = PhiA, W = W, test = test)
}
