; Inno Setup script: a per-user installer for the Windows bundle (not built or run here:
; Inno Setup runs on Windows only). After `py -3.12 packaging\build.py --no-gui` on Windows:
;
;   iscc /DAppVersion=0.1.0 packaging\windows\photofind.iss
;     -> packaging\dist\photofind-0.1.0-setup.exe
;
; Installs dist\photofind\ into %LOCALAPPDATA%\Programs\photofind (no administrator rights),
; adds a Start-menu shortcut to photofind-gui.exe, "Open with photofind" for the image types
; photofind reads, and an uninstaller. The user's library (%LOCALAPPDATA%\photofind) is kept
; on uninstall; the README says how to delete it. Sign photofind.exe, photofind-gui.exe and the
; installer (SignTool in [Setup]), or SmartScreen warns.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppId "io.github.photofind.Photofind"
#define GuiExe "photofind-gui.exe"

[Setup]
AppId={#AppId}
AppName=photofind
AppVersion={#AppVersion}
AppPublisher=photofind developers
AppPublisherURL=https://github.com/photofind/photofind
DefaultDirName={localappdata}\Programs\photofind
DefaultGroupName=photofind
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=photofind-{#AppVersion}-setup
SetupIconFile=..\..\photofind\resources\icons\photofind.ico
UninstallDisplayIcon={app}\{#GuiExe}
LicenseFile=..\..\LICENSE
Compression=lzma2/max
SolidCompression=yes
ChangesAssociations=yes
WizardStyle=modern

[Files]
Source: "..\dist\photofind\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\photofind"; Filename: "{app}\{#GuiExe}"
Name: "{autoprograms}\photofind licences"; Filename: "{app}\LICENSES"

[Registry]
; "Open with photofind" without taking over any type (Applications\...\SupportedTypes).
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "photofind"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\shell\open\command"; ValueType: string; ValueData: """{app}\{#GuiExe}"" ""%1"""
#define Types ".jpg .jpeg .png .webp .gif .bmp .tif .tiff .heic .heif .avif"
#sub AddType
  #define Ext Copy(Types, 1, Pos(" ", Types + " ") - 1)
Root: HKA; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: "{#Ext}"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\{#Ext}\OpenWithList\{#GuiExe}"; ValueType: none; Flags: uninsdeletekey
  #define Types Copy(Types, Pos(" ", Types + " ") + 1, 999)
#endsub
#for {0; Len(Types) > 0; 0} AddType

[Run]
Filename: "{app}\{#GuiExe}"; Description: "Start photofind"; Flags: nowait postinstall skipifsilent
