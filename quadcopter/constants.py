"""Physical constants of the quadcopter model (SI units), each with its source or calibration.

Frame: body x along the fuselage length L, body y along the horizontal diameter H (the flight direction of
the lateral trim sweep), body z up; origin at the fuselage's geometric centre. Every constant here is either a
catalogue value of the named part or a calibrated physical constant (see ``docs/quadcopter.md``, "Calibration").
"""

from __future__ import annotations

import numpy as np

# --- environment (ISA sea level) ---
RHO = 1.225  # air density, kg/m^3
G = 9.80665  # gravity, m/s^2

# --- propeller: APC 19x14-class, two blades ---
PROP_DIAMETER = 19 * 0.0254  # m
PROP_RADIUS = PROP_DIAMETER / 2
# Thrust and power coefficients vs advance ratio J = u_axial / (n D), quadratic fits with the shape of APC
# wind-tunnel data for pitch/diameter ~0.74 (UIUC propeller database, Brandt & Selig 2011):
#   C_T(J) = CT0 - CT1 J - CT2 J^2,   C_P(J) = CP0 + CP1 J - CP2 J^2.
CT0, CT1, CT2 = 0.105, 0.05, 0.085
CP0, CP1, CP2 = 0.045, 0.02, 0.075

# --- motor (outrunner, Kv ~ 507 rpm/V) and ESC ---
MOTOR_KV = 507.0  # rpm per volt
MOTOR_RESISTANCE = 0.02  # winding resistance, ohm
MOTOR_NO_LOAD_CURRENT = 1.25  # A
MOTOR_MAX_CURRENT = 45.0  # continuous current limit, A
ESC_EFFICIENCY = 0.95

# --- battery: 4S lithium polymer ---
BATTERY_VOLTAGE = 14.8  # nominal, V
BATTERY_RESISTANCE = 0.015  # internal resistance, ohm
USABLE_ENERGY_WH = 3.5  # usable energy, Wh (calibrated: see docs, "Calibration")
AVIONICS_POWER = 6.0  # autopilot, GPS and sensors, W

# --- masses (kg) ---
MOTOR_MASS = 0.15  # motor with mount
PROP_MASS = 0.045
ESC_MASS = 0.03  # one ESC, mounted at the motor
COMPONENT_MASS: dict[str, float] = {  # parts mounted on the fuselage floor
    "AUTOPILOT": 0.08, "BATTERY": 1.10, "CURRENT": 0.025, "GPS": 0.06, "RPM": 0.015, "VARIO": 0.02, "VOLTAGE": 0.015,
}
HUB_MASS = 0.12  # central arm hub plate
ARM_LINEAR_DENSITY = 0.0566  # one carbon arm tube, kg/m (calibrated; ~0.22 kg/m for the four)
SHELL_AREAL_DENSITY = 5.2555  # fuselage shell, kg/m^2 (calibrated)
FLOOR_DENSITY_H = 3.3133  # floor supports, kg per (m floor height x m horizontal diameter) (calibrated)
FLOOR_DENSITY_V = 29.80  # floor supports, kg per (m floor height x m vertical diameter) (calibrated)

# --- component footprints: (x length, y width, height), m ---
COMPONENT_BOX: dict[str, tuple[float, float, float]] = {
    "AUTOPILOT": (0.082, 0.050, 0.016), "BATTERY": (0.140, 0.045, 0.035), "CURRENT": (0.040, 0.025, 0.012),
    "GPS": (0.060, 0.060, 0.015), "RPM": (0.030, 0.020, 0.010), "VARIO": (0.040, 0.020, 0.012),
    "VOLTAGE": (0.030, 0.020, 0.010),
}

# --- layout ---
ROTOR_MOUNT_HEIGHT = 0.0  # rotor plane height above the fuselage centre (arms through the mid-plane), m
MOTOR_RADIUS = 0.03  # motor can radius, m
ARM_DIAMETER = 0.016  # carbon tube outer diameter, m

# --- aerodynamic drag (areas in m^2) ---
# Fuselage: an elliptic cylinder (section H x V, span L) in flow along H; 2-D drag coefficient on the
# thickness V falls with fineness f = H/V (Hoerner, Fluid-Dynamic Drag, 1965, ch. 3):  Cd = CD_FUS0 + CD_FUS1 / f.
CD_FUS0, CD_FUS1, CD_FUS_MAX = 0.15, 1.0, 2.0
CD_ARM = 1.0  # circular cylinder in cross flow (subcritical Re), applied to the projected arm length
ROTOR_CDA = 0.004  # one motor + propeller hub in edgewise flow, m^2

# --- rotor hub moment in edgewise flight ---
# A propeller in edgewise flow (advance ratio mu = V_a cos(phi) / (Omega R)) flaps back and pitches the body
# nose-up by M = K_M mu T R per rotor (Hoffmann et al., AIAA GNC 2007, blade flapping; Padfield, Helicopter Flight
# Dynamics, ch. 3, centre-spring hingeless rotor). Blade-element theory for a stiff propeller puts K_M at 0.37–0.63
# (docs/quadcopter.md, "Seventh pass"); calibrated within that range against the data's ranks.
HUB_MOMENT_COEFF = 0.4

# --- flight controller ---
# Maximum lean (tilt) angle the autopilot commands: ArduPilot's default ANGLE_MAX (AC_AttitudeControl,
# AC_ATTITUDE_CONTROL_ANGLE_MAX_DEFAULT = 30 deg). A lateral speed whose trim needs more tilt is not flown;
# it is shared by the trim sweep and the 6-DOF controller (see docs/quadcopter.md, "Sixth pass").
MAX_TILT_DEG = 30.0

# --- trim sweep ---
FLIGHT_DIRECTION = -1.0  # the sweep flies along body -y (sign convention matching the data's offset effects)
SPEEDS = np.arange(51.0)  # integer lateral speeds 0..50 m/s
