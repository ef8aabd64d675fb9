# The package as a user meets it: tools/New-ModulePackage.ps1 (what build.ps1 -Task Package
# runs) packs the built module; a fresh pwsh with a temporary home, module path and repository
# registration installs it with Install-PSResource from a folder repository, imports it by
# name, copies a file and reads its help; the registration is removed afterwards.

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:Version = (Get-Module SpliceModule).Version.ToString(3)
    $script:UserHome = Join-Path $TestDrive 'home'
    $script:Repository = Join-Path $TestDrive 'repository'
    # The fresh processes start in an empty folder, which must stay empty: nothing may be written
    # relative to the current directory. The home has the data folder a user's home has.
    $script:StartIn = Join-Path $TestDrive 'start-in'
    New-Item -ItemType Directory -Path (Join-Path $script:UserHome '.local/share'), $script:Repository, $script:StartIn | Out-Null
    # Nothing PSResourceGet or pwsh writes for the user may land outside the temporary home.
    $script:Isolated = @{ HOME = $script:UserHome; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null }

    $pack = Invoke-FreshPwsh -Environment ($script:Isolated + @{ SPLICE_PACKAGE_OUT = $script:Repository }) -TimeoutSeconds 180 -WorkingDirectory $script:StartIn -Script @"
& '$(Join-Path $PSScriptRoot '../../tools/New-ModulePackage.ps1')' -ModulePath `$env:SPLICEMODULE_TEST_MODULE -OutputPath `$env:SPLICE_PACKAGE_OUT
"@
    if ($pack.ExitCode -ne 0) { throw "Packing failed: $($pack.Error) $($pack.Output)" }
    $script:Package = Join-Path $script:Repository "SpliceModule.$script:Version.nupkg"
}

Describe 'The package' {
    BeforeAll {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($script:Package)
        try {
            $script:Entries = @($zip.Entries.FullName)
            $reader = [IO.StreamReader]::new($zip.GetEntry('SpliceModule.nuspec').Open())
            [xml] $script:Nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
    }

    It 'is named after the module and its version' {
        $script:Package | Should -Exist
    }

    It 'holds the module, its views, its help and the licence, and nothing from the source tree' {
        foreach ($file in 'SpliceModule.psd1', 'SpliceModule.dll', 'SpliceModule.format.ps1xml', 'en-US/SpliceModule.dll-Help.xml', 'en-US/about_SpliceModule.help.txt', 'LICENSE') {
            $script:Entries | Should -Contain $file
        }
        $script:Entries | Where-Object { $_ -match '\.(cs|md|Tests\.ps1)$|^(src|tests|docs|bench)/' } | Should -BeNullOrEmpty
    }

    It 'describes itself from the manifest' {
        $metadata = $script:Nuspec.package.metadata
        $metadata.id | Should -Be 'SpliceModule'
        $metadata.version | Should -Be $script:Version
        $metadata.description | Should -Not -BeNullOrEmpty
        $metadata.tags | Should -Match '\bPSModule\b'
        $metadata.tags | Should -Match '\bLinux\b'
        $metadata.licenseUrl | Should -Not -BeNullOrEmpty
        $metadata.projectUrl | Should -Not -BeNullOrEmpty
        $metadata.releaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'carries the release notes of its version from CHANGELOG.md' {
        $changelog = Get-Content -Raw (Join-Path $PSScriptRoot '../../CHANGELOG.md')
        $section = [regex]::Match($changelog, "(?ms)^## \[$([regex]::Escape($script:Version))\] - \d{4}-\d{2}-\d{2}\s*\n(.*?)(?=^## \[|\z)")
        $section.Success | Should -BeTrue -Because "CHANGELOG.md has a dated section for $script:Version"
        $firstEntry = ($section.Groups[1].Value -split "`n" | Where-Object { $_ -like '- *' } | Select-Object -First 1).Trim()
        $script:Nuspec.package.metadata.releaseNotes | Should -BeLike "$script:Version (*"
        $script:Nuspec.package.metadata.releaseNotes | Should -Match ([regex]::Escape($firstEntry))
    }

    It 'tags every cmdlet, so that Find-PSResource -CommandName finds it' {
        $tags = $script:Nuspec.package.metadata.tags -split '\s+'
        $tags | Should -Contain 'PSIncludes_Cmdlet'
        foreach ($cmdlet in (Get-Module SpliceModule).ExportedCmdlets.Keys) {
            $tags | Should -Contain "PSCmdlet_$cmdlet"
            $tags | Should -Contain "PSCommand_$cmdlet"
        }
    }
}

Describe 'Find-PSResource -CommandName in a folder repository' {
    It 'finds the package by <Command>' -ForEach @(@{ Command = 'Copy-SpliceItem' }, @{ Command = 'Write-VmSplice' }) {
        $name = "SpliceModuleFind$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $run = Invoke-FreshPwsh -Json -Environment ($script:Isolated + @{ SPLICE_REPOSITORY = $script:Repository; SPLICE_REPOSITORY_ID = $name; SPLICE_COMMAND = $Command }) -TimeoutSeconds 120 -WorkingDirectory $script:StartIn -Script @'
Register-PSResourceRepository -Name $env:SPLICE_REPOSITORY_ID -Uri $env:SPLICE_REPOSITORY -Trusted
try { @(Find-PSResource -CommandName $env:SPLICE_COMMAND -Repository $env:SPLICE_REPOSITORY_ID | ForEach-Object { $_.ParentResource.Name }) }
finally { Unregister-PSResourceRepository -Name $env:SPLICE_REPOSITORY_ID }
'@
        $run | Should -Contain 'SpliceModule'
    }
}

Describe 'Install-PSResource from a folder repository' {
    BeforeAll {
        $modules = Join-Path $script:UserHome '.local/share/powershell/Modules'
        $script:Work = Join-Path $TestDrive 'work'
        New-Item -ItemType Directory -Path $script:Work | Out-Null
        [IO.File]::WriteAllBytes((Join-Path $script:Work 'source.bin'), [byte[]](1..255 * 400))
        $script:RepositoryName = "SpliceModuleTest$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $environment = $script:Isolated + @{
            PSModulePath         = "$modules$([IO.Path]::PathSeparator)$(Join-Path $PSHOME 'Modules')"
            SPLICE_REPOSITORY    = $script:Repository
            SPLICE_REPOSITORY_ID = $script:RepositoryName
            SPLICE_WORK          = $script:Work
        }
        $script:Result = Invoke-FreshPwsh -Json -Environment $environment -TimeoutSeconds 180 -WorkingDirectory $script:StartIn -Script @'
Register-PSResourceRepository -Name $env:SPLICE_REPOSITORY_ID -Uri $env:SPLICE_REPOSITORY -Trusted
try {
    $before = @(Get-Module -ListAvailable -Name SpliceModule).Count
    Install-PSResource -Name SpliceModule -Repository $env:SPLICE_REPOSITORY_ID -Scope CurrentUser -TrustRepository -Quiet
    $installed = Get-InstalledPSResource -Name SpliceModule -Scope CurrentUser
    Import-Module SpliceModule
    $module = Get-Module SpliceModule
    $copy = Copy-SpliceItem -Path (Join-Path $env:SPLICE_WORK 'source.bin') -Destination (Join-Path $env:SPLICE_WORK 'copy.bin') -PassThru
    [ordered]@{
        AvailableBefore = $before
        InstalledVersion = $installed.Version.ToString()
        ModuleBase = $module.ModuleBase
        Cmdlets = @($module.ExportedCmdlets.Keys)
        CopyMethod = [string]$copy.CopyMethod
        CopyHash = (Get-FileHash $copy.FullName).Hash
        Synopsis = (Get-Help Copy-SpliceItem).Synopsis
        About = (Get-Help about_SpliceModule | Out-String) -match 'zero-copy'
        View = ($copy | Out-String) -match 'Method'
    }
}
finally {
    Unregister-PSResourceRepository -Name $env:SPLICE_REPOSITORY_ID
}
'@
        $script:Registrations = Get-ChildItem -LiteralPath $script:UserHome -Recurse -Force -Filter 'PSResourceRepository.xml' | Get-Content -Raw
    }

    It 'installs the package into the temporary module path' {
        $Result.AvailableBefore | Should -Be 0
        $Result.InstalledVersion | Should -Be $script:Version
        $Result.ModuleBase | Should -BeLike "$script:UserHome*"
        $Result.ModuleBase | Should -Not -BeLike "$((Get-Module SpliceModule).ModuleBase)*"
    }

    It 'imports by name and copies a file' {
        $Result.Cmdlets | Should -Contain 'Copy-SpliceItem'
        $Result.CopyMethod | Should -Not -BeNullOrEmpty
        $Result.CopyHash | Should -Be (Get-FileHash (Join-Path $script:Work 'source.bin')).Hash
        $Result.View | Should -BeTrue
    }

    It 'brings its help along' {
        $page = Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/Copy-SpliceItem.md')
        $synopsis = ([regex]::Match($page, '(?ms)^## SYNOPSIS\s*\n(.+?)\n\s*\n')).Groups[1].Value.Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $Result.Synopsis.Trim() | Should -Be $synopsis
        $Result.About | Should -BeTrue
    }

    It 'writes nothing into the current directory' {
        Get-ChildItem -LiteralPath $script:StartIn -Force | Should -BeNullOrEmpty
    }

    It 'leaves no repository registration behind' {
        $script:Registrations | Should -Not -BeNullOrEmpty -Because 'the registration was written under the temporary home'
        $script:Registrations -join "`n" | Should -Not -Match $script:RepositoryName
    }
}
