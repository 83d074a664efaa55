package sim

import (
	"fmt"
	"math"

	"github.com/gridcells/gridcells/config"
)

// MotionModel names a trajectory generator.
type MotionModel string

// MaxDt is the longest time step Validate accepts, s (config.MaxDt).
const MaxDt = config.MaxDt

const (
	// Sorscher is the random walk of Sorscher et al. 2019 and NFL (spec §1.1).
	Sorscher MotionModel = "sorscher"
	// RatInABox is RatInABox's Ornstein–Uhlenbeck motion (ecosystem.md §2.2).
	RatInABox MotionModel = "ratinabox"
)

// Params configures a Generator. The box is the rectangle [−BoxWidth/2, BoxWidth/2] ×
// [−BoxHeight/2, BoxHeight/2] centred at the origin.
type Params struct {
	Model     MotionModel // Sorscher or RatInABox
	BoxWidth  float64     // m (default 2.2)
	BoxHeight float64     // m (default 2.2)
	Dt        float64     // s per step (default 0.02)
	Periodic  bool        // wrap positions into the box instead of avoiding walls (default false)
	RNG       RNG         // random source of the Sorscher walk: "" or PCG (default), or Philox

	// Sorscher random walk (spec §1.1).
	RotVelStd      float64 // rad/s, std of the turn noise; the per-step turn has std RotVelStd·Dt (default 11.52)
	SpeedScale     float64 // m/s, Rayleigh scale b of the forward speed (default 0.13·2π)
	BorderRegion   float64 // m, distance from a wall within which the wall rule acts (default 0.03)
	BorderSlowdown float64 // speed factor applied by the wall rule (default 0.25)

	// RatInABox motion (ecosystem.md §2.2, RatInABox Agent.default_params).
	OU OUParams
}

// OUParams holds the constants of the RatInABox motion model.
type OUParams struct {
	SpeedMean         float64 // m/s, Rayleigh σ of the speed (RatInABox speed_mean; the mean speed is SpeedMean·√(π/2)) (default 0.08)
	SpeedCoherence    float64 // s, OU time constant of the speed's normal variable (default 0.7)
	RotVelStd         float64 // rad/s, stationary std of the rotational velocity (default 120°/s)
	RotVelCoherence   float64 // s, OU time constant of the rotational velocity (default 0.08)
	WallRepelDistance float64 // m, walls repel within this distance (default 0.1)
	WallRepelStrength float64 // spring speed as a multiple of SpeedMean (default 1)
	Thigmotaxis       float64 // in [0, 1], tendency to linger near walls (default 0.5)
}

// DefaultParams returns the constants of spec §1.1 (identical in SOR and NFL) with the
// Sorscher model, and RatInABox's defaults in OU.
func DefaultParams() Params {
	return Params{
		Model:          Sorscher,
		BoxWidth:       2.2,
		BoxHeight:      2.2,
		Dt:             0.02,
		RotVelStd:      5.76 * 2,
		SpeedScale:     0.13 * 2 * math.Pi,
		BorderRegion:   0.03,
		BorderSlowdown: 0.25,
		OU:             DefaultOUParams(),
	}
}

// DefaultOUParams returns RatInABox's Agent defaults (fitted to Sargolini et al. 2006).
func DefaultOUParams() OUParams {
	return OUParams{
		SpeedMean:         0.08,
		SpeedCoherence:    0.7,
		RotVelStd:         120 * math.Pi / 180,
		RotVelCoherence:   0.08,
		WallRepelDistance: 0.1,
		WallRepelStrength: 1,
		Thigmotaxis:       0.5,
	}
}

// DefaultRatInABoxParams returns DefaultParams with the RatInABox model selected. The
// step stays at 0.02 s, the RNN's step, rather than RatInABox's own default.
func DefaultRatInABoxParams() Params {
	p := DefaultParams()
	p.Model = RatInABox
	return p
}

// FromConfig converts the trajectory section of a run configuration and validates it.
func FromConfig(t config.Trajectory) (Params, error) {
	p := Params{
		Model:          MotionModel(t.MotionModel),
		BoxWidth:       t.BoxWidth,
		BoxHeight:      t.BoxHeight,
		Dt:             t.Dt,
		Periodic:       t.Periodic,
		RNG:            RNG(t.RNG),
		RotVelStd:      t.RotVelStd,
		SpeedScale:     t.SpeedScale,
		BorderRegion:   t.BorderRegion,
		BorderSlowdown: t.BorderSlowdown,
		OU: OUParams{
			SpeedMean:         t.RIABSpeedMean,
			SpeedCoherence:    t.RIABSpeedCoherence,
			RotVelStd:         t.RIABRotVelStd,
			RotVelCoherence:   t.RIABRotVelCoherence,
			WallRepelDistance: t.RIABWallRepelDistance,
			WallRepelStrength: t.RIABWallRepelStrength,
			Thigmotaxis:       t.RIABThigmotaxis,
		},
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// Validate reports the first invalid field as a config.BadValue naming its configuration key.
func (p Params) Validate() error {
	bad := func(field string, v any, want string) error {
		return config.BadValue("trajectory."+field, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	positive := func(v float64) bool { return finite(v) && v > 0 }
	nonNegative := func(v float64) bool { return finite(v) && v >= 0 }
	switch p.Model {
	case Sorscher, RatInABox:
	default:
		return bad("motion_model", fmt.Sprintf("%q", p.Model), `want "sorscher" or "ratinabox"`)
	}
	switch p.RNG {
	case "", PCG:
	case Philox:
		if p.Model != Sorscher {
			return bad("rng", fmt.Sprintf("%q", p.RNG), `the Philox walk exists for motion_model "sorscher" only; want "pcg" with "ratinabox"`)
		}
	default:
		return bad("rng", fmt.Sprintf("%q", p.RNG), `want "pcg" or "philox"`)
	}
	switch {
	case !positive(p.BoxWidth):
		return bad("box_width", p.BoxWidth, "want a positive length in m")
	case !positive(p.BoxHeight):
		return bad("box_height", p.BoxHeight, "want a positive length in m")
	case !positive(p.Dt) || p.Dt > MaxDt:
		return bad("dt", p.Dt, fmt.Sprintf("want a positive time step of at most %g s", MaxDt))
	}
	// A wall band must leave room between the walls; a periodic box has no walls, so its
	// bands (spec §1.1 step 4, "if not periodic"; RatInABox's repulsion) are not used and
	// need only be non-negative.
	half := math.Min(p.BoxWidth, p.BoxHeight) / 2
	band := func(v float64) bool { return nonNegative(v) && (p.Periodic || v < half) }
	bandWant := fmt.Sprintf("want a distance in [0, %v) m (half the shorter box side)", half)
	if p.Periodic {
		bandWant = "want a non-negative distance in m"
	}
	if p.Model == Sorscher {
		switch {
		case !nonNegative(p.RotVelStd):
			return bad("rot_vel_std", p.RotVelStd, "want a non-negative std in rad/s")
		case !positive(p.SpeedScale):
			return bad("speed_scale", p.SpeedScale, "want a positive Rayleigh scale in m/s")
		case !band(p.BorderRegion):
			return bad("border_region", p.BorderRegion, bandWant)
		case !finite(p.BorderSlowdown) || p.BorderSlowdown < 0 || p.BorderSlowdown > 1:
			return bad("border_slowdown", p.BorderSlowdown, "want a speed factor in [0, 1]")
		}
		return nil
	}
	o := p.OU
	switch {
	case !positive(o.SpeedMean):
		return bad("riab_speed_mean", o.SpeedMean, "want a positive speed in m/s")
	case !positive(o.SpeedCoherence):
		return bad("riab_speed_coherence_time", o.SpeedCoherence, "want a positive time in s")
	case !nonNegative(o.RotVelStd):
		return bad("riab_rot_vel_std", o.RotVelStd, "want a non-negative std in rad/s")
	case !positive(o.RotVelCoherence):
		return bad("riab_rot_vel_coherence_time", o.RotVelCoherence, "want a positive time in s")
	case !band(o.WallRepelDistance):
		return bad("riab_wall_repel_distance", o.WallRepelDistance, bandWant)
	case !nonNegative(o.WallRepelStrength):
		return bad("riab_wall_repel_strength", o.WallRepelStrength, "want a non-negative factor")
	case !finite(o.Thigmotaxis) || o.Thigmotaxis < 0 || o.Thigmotaxis > 1:
		return bad("riab_thigmotaxis", o.Thigmotaxis, "want a value in [0, 1]")
	}
	return nil
}
