package sim

import "math"

// ratInABox fills dst with RatInABox-style motion (ecosystem.md §2.2; RatInABox
// Agent.update and utils.ornstein_uhlenbeck, rayleigh_to_normal, normal_to_rayleigh).
// Each step, for every walker:
//
//  1. the rotational velocity ω takes an OU step (mean 0, stationary std RotVelStd,
//     time constant RotVelCoherence) and the velocity is rotated by ω·dt;
//  2. the speed is mapped to a standard normal variable through the Rayleigh(SpeedMean)
//     and normal CDFs, that variable takes an OU step (std 1, time constant
//     SpeedCoherence), and is mapped back to the new speed;
//  3. within WallRepelDistance d of a wall, at distance x, the velocity gains
//     3(1−thigmotaxis)²·k(d−x)·dt and the position is shifted by
//     6·thigmotaxis²·v_r(1−√(1−(d−x)²/d²))·dt away from the wall, with
//     v_r = WallRepelStrength·SpeedMean and k = v_r²/d² (the spring and conveyor-belt rules);
//  4. a step that would cross a wall is reflected off it at speed 0.5·SpeedMean.
//
// With Periodic set there are no walls and positions wrap. Each trajectory starts at a
// uniform position and direction with speed and ω drawn from their stationary laws, so
// every step of a batch is stationary (RatInABox starts at speed SpeedMean and ω = 0).
//
// Divergence: RatInABox's Euler OU step x += −x·dt/τ + σ√(2dt/τ)·N(0,1) has stationary
// std σ/√(1−dt/2τ), 7% above RotVelStd at dt = 0.02 s and τ = 0.08 s; we use the exact
// OU transition x ← x·e^{−dt/τ} + σ√(1−e^{−2dt/τ})·N(0,1), whose stationary std is σ at
// every dt.
//
// Outputs: InitPos is the start, input t the displacement actually taken in step t,
// target t the position after it, and Heading[t] the direction of the velocity during
// step t (the conveyor-belt shift can make the displacement deviate slightly from it).
func (g *Generator) ratInABox(dst *Batch) {
	p := &g.p
	o := &p.OU
	B, T := dst.B, dst.T
	hw, hh := p.BoxWidth/2, p.BoxHeight/2
	dt := p.Dt
	rng := g.rng
	sigma := o.SpeedMean
	rotDecay := math.Exp(-dt / o.RotVelCoherence)
	rotNoise := o.RotVelStd * math.Sqrt(1-rotDecay*rotDecay)
	spdDecay := math.Exp(-dt / o.SpeedCoherence)
	spdNoise := math.Sqrt(1 - spdDecay*spdDecay)
	d := o.WallRepelDistance
	vr := o.WallRepelStrength * sigma
	walls := !p.Periodic && d > 0
	springGain := 3 * (1 - o.Thigmotaxis) * (1 - o.Thigmotaxis) * dt
	beltGain := 6 * o.Thigmotaxis * o.Thigmotaxis * dt

	for b := 0; b < B; b++ {
		g.x[b] = float32((rng.Float64()*2 - 1) * hw)
		g.y[b] = float32((rng.Float64()*2 - 1) * hh)
		dir := rng.Float64() * 2 * math.Pi
		n1, n2 := rng.NormFloat64(), rng.NormFloat64()
		speed := sigma * math.Sqrt(n1*n1+n2*n2) // stationary Rayleigh(σ)
		sin, cos := math.Sincos(dir)
		g.vx[b], g.vy[b] = speed*cos, speed*sin
		g.rotVel[b] = o.RotVelStd * rng.NormFloat64()
		dst.InitPos[2*b], dst.InitPos[2*b+1] = g.x[b], g.y[b]
		dst.InitHeading[b] = float32(wrapAngle(dir))
	}
	for t := 0; t < T; t++ {
		vel := dst.Vel[2*t*B : 2*(t+1)*B]
		pos := dst.Pos[2*t*B : 2*(t+1)*B]
		head := dst.Heading[t*B : (t+1)*B]
		for b := 0; b < B; b++ {
			vx, vy := g.vx[b], g.vy[b]
			// 1. Rotational velocity.
			w := rotDecay*g.rotVel[b] + rotNoise*rng.NormFloat64()
			g.rotVel[b] = w
			sin, cos := math.Sincos(w * dt)
			vx, vy = vx*cos-vy*sin, vx*sin+vy*cos
			// 2. Speed through its normal variable.
			speed := math.Hypot(vx, vy)
			if speed == 0 { // RatInABox: a tiny velocity along x avoids NaNs
				vx, vy, speed = 1e-8, 0, 1e-8
			}
			z := rayleighToNormal(speed, sigma)
			z = spdDecay*z + spdNoise*rng.NormFloat64()
			f := normalToRayleigh(z, sigma) / speed
			vx, vy = vx*f, vy*f

			x0, y0 := float64(g.x[b]), float64(g.y[b])
			var nx, ny float64
			if p.Periodic {
				nx, ny = x0+vx*dt, y0+vy*dt
			} else {
				px, py := x0, y0
				if walls {
					// 3. Spring and conveyor belt, summed over the four walls; each
					// wall's unit vector points from the wall into the box.
					ax, ay, bx, by := 0.0, 0.0, 0.0, 0.0
					for _, wall := range [4]struct{ dist, nx, ny float64 }{
						{x0 + hw, 1, 0}, {hw - x0, -1, 0}, {y0 + hh, 0, 1}, {hh - y0, 0, -1},
					} {
						if wall.dist > d {
							continue
						}
						e := d - max(wall.dist, 0) // penetration into the repulsive band, ≤ d
						acc := vr * vr / (d * d) * e
						belt := vr * (1 - math.Sqrt(max(0, 1-e*e/(d*d))))
						ax += acc * wall.nx
						ay += acc * wall.ny
						bx += belt * wall.nx
						by += belt * wall.ny
					}
					vx += springGain * ax
					vy += springGain * ay
					px += beltGain * bx
					py += beltGain * by
				}
				// 4. Reflect a step that would cross a wall.
				qx, qy := px+vx*dt, py+vy*dt
				hit := false
				if qx < -hw || qx > hw {
					vx, hit = -vx, true
				}
				if qy < -hh || qy > hh {
					vy, hit = -vy, true
				}
				if hit {
					s := 0.5 * sigma / math.Hypot(vx, vy)
					vx, vy = vx*s, vy*s
					qx, qy = px+vx*dt, py+vy*dt
				}
				nx, ny = min(max(qx, -hw), hw), min(max(qy, -hh), hh)
			}
			g.vx[b], g.vy[b] = vx, vy
			ux, uy := float32(nx-x0), float32(ny-y0)
			x, y := g.x[b]+ux, g.y[b]+uy
			if p.Periodic {
				x = wrapCoord(x, p.BoxWidth)
				y = wrapCoord(y, p.BoxHeight)
			}
			g.x[b], g.y[b] = x, y
			vel[2*b], vel[2*b+1] = ux, uy
			pos[2*b], pos[2*b+1] = x, y
			head[b] = float32(wrapAngle(math.Atan2(vy, vx)))
		}
	}
}

// rayleighToNormal maps a Rayleigh(σ) speed to the standard normal variable with the
// same CDF value, clamped to [1e−6, 1−1e−6] as RatInABox's rayleigh_to_normal does. The
// two tails are computed separately so that neither loses precision.
func rayleighToNormal(s, sigma float64) float64 {
	r := s * s / (2 * sigma * sigma)
	const lo, hi = 1e-6, 1 - 1e-6
	u := -math.Expm1(-r) // Rayleigh CDF
	u = min(max(u, lo), hi)
	if u < 0.5 {
		return -math.Sqrt2 * math.Erfcinv(2*u)
	}
	q := min(max(math.Exp(-r), lo), hi) // 1 − CDF
	return math.Sqrt2 * math.Erfcinv(2*q)
}

// normalToRayleigh is the inverse map: σ·√(−2 ln(1 − Φ(z))).
func normalToRayleigh(z, sigma float64) float64 {
	if z < 0 {
		u := 0.5 * math.Erfc(-z/math.Sqrt2) // Φ(z), small
		return sigma * math.Sqrt(-2*math.Log1p(-u))
	}
	q := 0.5 * math.Erfc(z/math.Sqrt2) // 1 − Φ(z)
	return sigma * math.Sqrt(-2*math.Log(q))
}
